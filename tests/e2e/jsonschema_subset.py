#!/usr/bin/env python3
"""The part of JSON Schema (draft 2020-12) that docs/dfuflash-json.schema.json
uses, checked with the standard library only:

  $ref (to #/...), oneOf, anyOf, allOf, if/then, type, const, enum,
  required, properties, additionalProperties (false), items, minimum,
  maximum, minLength, pattern.

A keyword the schema uses that is not in this list is an error, so the
schema cannot quietly grow past what the test checks.

    jsonschema_subset.py SCHEMA FILE   FILE: exactly one JSON object on one
                                       line; exit 0 when it validates,
                                       1 (with the reasons) when not.
"""
import json
import re
import sys

KNOWN = {"$schema", "$id", "$defs", "$ref", "title", "description", "oneOf", "anyOf", "allOf",
         "if", "then", "type", "const", "enum", "required", "properties",
         "additionalProperties", "items", "minimum", "maximum", "minLength", "pattern"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def same(a, b):
    """JSON equality: true is not 1."""
    return type(a) == type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


class Validator:
    def __init__(self, root):
        self.root = root
        self.check_keywords(root)

    def check_keywords(self, s):
        if isinstance(s, dict):
            for k, v in s.items():
                if k not in KNOWN:
                    raise SystemExit("schema uses '%s', which this checker does not know" % k)
                if k in ("properties", "$defs"):
                    for sub in v.values():
                        self.check_keywords(sub)
                elif k in ("oneOf", "anyOf", "allOf"):
                    for sub in v:
                        self.check_keywords(sub)
                elif k in ("if", "then", "items", "additionalProperties"):
                    self.check_keywords(v)

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise SystemExit("only local $ref: %s" % ref)
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def errors(self, s, v, path="$"):
        """The reasons v does not validate against s (empty: it does)."""
        if s is True:
            return []
        if s is False:
            return ["%s: nothing is allowed here" % path]
        out = []
        if "$ref" in s:
            out += self.errors(self.resolve(s["$ref"]), v, path)
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(TYPES[t](v) for t in types):
                return out + ["%s: %r is not %s" % (path, v, " or ".join(types))]
        if "const" in s and not same(s["const"], v):
            out.append("%s: %r is not %r" % (path, v, s["const"]))
        if "enum" in s and not any(same(e, v) for e in s["enum"]):
            out.append("%s: %r is not one of %r" % (path, v, s["enum"]))
        if TYPES["number"](v):
            if "minimum" in s and v < s["minimum"]:
                out.append("%s: %r < %r" % (path, v, s["minimum"]))
            if "maximum" in s and v > s["maximum"]:
                out.append("%s: %r > %r" % (path, v, s["maximum"]))
        if isinstance(v, str):
            if "minLength" in s and len(v) < s["minLength"]:
                out.append("%s: shorter than %d" % (path, s["minLength"]))
            if "pattern" in s and not re.search(s["pattern"], v):
                out.append("%s: %r does not match %s" % (path, v, s["pattern"]))
        if isinstance(v, dict):
            for k in s.get("required", []):
                if k not in v:
                    out.append("%s: lacks \"%s\"" % (path, k))
            props = s.get("properties", {})
            for k, sub in props.items():
                if k in v:
                    out += self.errors(sub, v[k], "%s.%s" % (path, k))
            if s.get("additionalProperties") is False:
                for k in v:
                    if k not in props:
                        out.append("%s: \"%s\" is not allowed" % (path, k))
        if isinstance(v, list) and "items" in s:
            for i, item in enumerate(v):
                out += self.errors(s["items"], item, "%s[%d]" % (path, i))
        for sub in s.get("allOf", []):
            out += self.errors(sub, v, path)
        if "anyOf" in s:
            found = [self.errors(sub, v, path) for sub in s["anyOf"]]
            if all(found):
                out.append("%s: matches none of anyOf: %s" % (path, "; ".join(
                    min(found, key=len))))
        if "oneOf" in s:
            found = [self.errors(sub, v, path) for sub in s["oneOf"]]
            good = sum(1 for f in found if not f)
            if good != 1:
                out.append("%s: matches %d of oneOf, not 1%s" % (path, good, (": " + "; ".join(
                    min(found, key=len))) if not good else ""))
        if "if" in s and not self.errors(s["if"], v, path) and "then" in s:
            out += self.errors(s["then"], v, path)
        return out


def main():
    schema = json.load(open(sys.argv[1]))
    text = open(sys.argv[2]).read()
    lines = [l for l in text.splitlines() if l.strip()]
    if len(lines) != 1:
        print("not exactly one line of JSON: %r" % text[:2000])
        return 1
    try:
        value = json.loads(lines[0])
    except ValueError as e:
        print("not JSON (%s): %r" % (e, lines[0][:2000]))
        return 1
    errs = Validator(schema).errors(schema, value)
    if errs:
        print("\n".join(errs[:20]))
        print("in: %s" % lines[0][:2000])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

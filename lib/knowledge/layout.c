/*
 * layout.c - DfuSe memory-layout strings -> sector maps.
 *
 * The ST ROM names each alternate setting with a string such as
 *     @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg
 * (UM0424 / AN3156): a name, then one or more groups "/0xADDR/" followed by
 * comma-separated "N*SIZE[unit]T" runs. unit is ' ' or 'B' (bytes), 'K' or
 * 'M'; it may be missing ("01*528e"). T is a letter 'a'..'g' whose low three
 * bits say readable (1), erasable (2), writable (4).
 */
#include "knowledge.h"

#include <stdlib.h>
#include <string.h>

/* A layout string describes at most this many sectors; a bigger count is a
 * hostile or broken device, not a chip. */
#define LAYOUT_MAX_SECTORS 4096

/* A decimal digit (not locale dependent, unlike isdigit()). */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of a hex digit, -1 for anything else. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads decimal digits at *p into *out (at most 0xFFFFFFFF). */
static bool read_decimal(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return false;
	while (is_digit(*s)) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

/* Reads "0x" and hex digits at *p into *out (32 bits). */
static bool read_hex_address(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	s += 2;
	if (hex_value(*s) < 0)
		return false;
	while ((d = hex_value(*s)) >= 0) {
		v = v * 16 + (uint64_t)d;
		if (v > UINT32_MAX)
			return false;
		s++;
	}
	*p = s;
	*out = (uint32_t)v;
	return true;
}

/* Appends count sectors of size bytes from *address, advancing it. */
static int add_run(struct dfu_ctx *ctx, struct dfu_layout *lay, size_t *cap,
		   uint64_t count, uint64_t size, unsigned flags, uint64_t *address)
{
	uint64_t i;

	if (count == 0 || size == 0)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "layout: empty sector run");
	if (lay->count + count > LAYOUT_MAX_SECTORS)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "layout: more than %d sectors",
				LAYOUT_MAX_SECTORS);
	if (*address + count * size > (uint64_t)UINT32_MAX + 1)
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"layout: sectors run past the 4 GiB address space");
	if (lay->count + count > *cap) {
		size_t ncap = (lay->count + count) * 2;
		struct dfu_sector *n = realloc(lay->sectors, ncap * sizeof(*n));

		if (!n)
			return dfu_fail(ctx, DFU_ERR_NO_MEM, "layout: out of memory");
		lay->sectors = n;
		*cap = ncap;
	}
	for (i = 0; i < count; i++) {
		struct dfu_sector *sec = &lay->sectors[lay->count];

		sec->address = (uint32_t)*address;
		sec->size = (uint32_t)size;
		sec->flags = flags;
		sec->number = (unsigned)lay->count;
		lay->count++;
		*address += size;
	}
	return DFU_OK;
}

/* Parses one "N*SIZE[unit]T" run at *p. */
static int parse_run(struct dfu_ctx *ctx, const char **p, struct dfu_layout *lay,
		     size_t *cap, uint64_t *address)
{
	const char *s = *p;
	uint64_t count, size;
	unsigned flags;
	int err;

	if (!read_decimal(&s, &count) || *s != '*')
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"layout: expected N*SIZE at \"%.16s\"", *p);
	s++;
	if (!read_decimal(&s, &size))
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"layout: expected a size at \"%.16s\"", *p);
	switch (*s) {
	case 'K':
		size *= 1024;
		s++;
		break;
	case 'M':
		size *= 1024 * 1024;
		s++;
		break;
	case 'B':
	case ' ':
		s++;
		break;
	default:
		break;
	}
	if (*s < 'a' || *s > 'g')
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"layout: expected a sector type a..g at \"%.16s\"", *p);
	flags = (unsigned)(*s - 'a' + 1) & 7;
	s++;
	err = add_run(ctx, lay, cap, count, size, flags, address);
	if (err)
		return err;
	*p = s;
	return DFU_OK;
}

/* Copies the name between '@' and the first '/' without trailing blanks. */
static void copy_name(struct dfu_layout *lay, const char *start, const char *end)
{
	size_t n;

	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - start);
	if (n >= sizeof(lay->name))
		n = sizeof(lay->name) - 1;
	memcpy(lay->name, start, n);
	lay->name[n] = '\0';
}

/* Parses "@Name/0xADDR/N*SIZE[unit]T,...[/0xADDR/...]" into a sector map. */
int dfu_layout_parse(struct dfu_ctx *ctx, const char *str, struct dfu_layout **out)
{
	struct dfu_layout *lay;
	const char *p, *slash;
	size_t cap = 0;
	int err = DFU_OK;

	if (!str || !out)
		return dfu_fail(ctx, DFU_ERR_INVALID_ARG, "layout: no string");
	if (str[0] != '@')
		return dfu_fail(ctx, DFU_ERR_FORMAT,
				"layout: \"%.40s\" does not start with '@'", str);
	slash = strchr(str, '/');
	if (!slash)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "layout: \"%.40s\" has no address", str);
	lay = calloc(1, sizeof(*lay));
	if (!lay)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "layout: out of memory");
	copy_name(lay, str + 1, slash);

	p = slash;
	while (*p == '/') {
		uint32_t base;
		uint64_t address;

		p++;
		if (!read_hex_address(&p, &base) || *p != '/') {
			err = dfu_fail(ctx, DFU_ERR_FORMAT,
				       "layout: expected /0xADDRESS/ in \"%.60s\"", str);
			goto fail;
		}
		p++;
		address = base;
		for (;;) {
			err = parse_run(ctx, &p, lay, &cap, &address);
			if (err)
				goto fail;
			if (*p != ',')
				break;
			p++;
		}
	}
	/* Some ROMs pad the string with blanks. */
	while (*p == ' ')
		p++;
	if (*p) {
		err = dfu_fail(ctx, DFU_ERR_FORMAT,
			       "layout: unexpected \"%.16s\" in \"%.60s\"", p, str);
		goto fail;
	}
	*out = lay;
	return DFU_OK;
fail:
	dfu_layout_free(lay);
	return err;
}

/* Frees a layout; NULL is fine. */
void dfu_layout_free(struct dfu_layout *layout)
{
	if (!layout)
		return;
	free(layout->sectors);
	free(layout);
}

/* The sector holding address (layouts are short: a linear search). */
const struct dfu_sector *dfu_layout_find(const struct dfu_layout *layout,
					 uint32_t address)
{
	size_t i;

	if (!layout)
		return NULL;
	for (i = 0; i < layout->count; i++) {
		const struct dfu_sector *s = &layout->sectors[i];

		if (address >= s->address && address - s->address < s->size)
			return s;
	}
	return NULL;
}

/* A copy of src that the caller frees with dfu_layout_free(). */
int dfu_layout_copy(struct dfu_ctx *ctx, const struct dfu_layout *src, struct dfu_layout **out)
{
	struct dfu_layout *copy = calloc(1, sizeof(*copy));

	if (copy)
		copy->sectors = malloc((src->count ? src->count : 1) * sizeof(*copy->sectors));
	if (!copy || !copy->sectors) {
		free(copy);
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	}
	memcpy(copy->name, src->name, sizeof(copy->name));
	copy->count = src->count;
	memcpy(copy->sectors, src->sectors, src->count * sizeof(*copy->sectors));
	*out = copy;
	return DFU_OK;
}

#!/usr/bin/env bash
# The Debian packages, as a user gets them: built with cpack from a fresh
# release build of this source (no sanitizers), installed with dpkg -i on
# this machine, used, and purged again.
#
# Installed, dfuflash must print its version, list devices, have its man
# page (agreeing with its --help), its pkg-config file and CMake package;
# libdfuflash.so.0 must export exactly what include/dfuflash.h declares; a
# program built against the installed header and library (pkg-config, and
# CMake's find_package) must flash an image with dfu_flash() into the
# installed dfusim. After dpkg --purge nothing of either package is left.
#
# Needs root and dpkg (else skipped, exit 77), and is skipped if dfuflash or
# dfusim is installed already (it would replace them). Whatever happens,
# the packages are purged again at exit. Label "slow": one build only.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: installing packages needs root" >&2; exit 77; }
need dpkg dpkg-deb cpack cmake cc pkg-config nm
for p in dfuflash dfusim; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed ||
	   [ -e "/usr/bin/$p" ]; then
		echo "SKIP: $p is installed on this machine already; not replacing it" >&2
		exit 77
	fi
done
src=${DFU_SOURCE_DIR:?}
start=$SECONDS

# One package test at a time on this machine (a second ctest run, another
# checkout): they install the same packages.
exec 9>/run/lock/dfuflash-test-package.lock
flock -w 1200 9 || fail "another package test holds /run/lock/dfuflash-test-package.lock"

installed=()
purge() {
	# dpkg waits for no lock: try again while another dpkg runs.
	local i
	for i in $(seq 1 60); do
		dpkg --purge "$@" >"$T/purge.log" 2>&1 && return 0
		grep -q 'lock' "$T/purge.log" || break
		sleep 2
	done
	cat "$T/purge.log" >&2
	return 1
}
cleanup() {
	local rc=$?
	if [ ${#installed[@]} -gt 0 ]; then
		echo "cleanup: purging ${installed[*]}" >&2
		purge "${installed[@]}" || rc=1
	fi
	_e2e_cleanup
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Build the packages from a fresh build dir of the same source.
mkdir -p "$T/build"
(cd "$T/build" &&
 env -u CFLAGS -u LDFLAGS cmake -S "$src" -B . -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX=/usr -DDFU_WERROR=ON -DDFU_BUILD_TESTS=OFF >"$T/configure.log" &&
 cmake --build . -j"$(nproc)" >"$T/build.log" 2>&1 &&
 cpack -G DEB >"$T/cpack.log" 2>&1) || {
	tail -n 40 "$T"/configure.log "$T"/build.log "$T"/cpack.log 2>/dev/null >&2
	fail "building the packages"
}
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$T/build/CMakeCache.txt")
debs=("$T"/build/dfuflash_"$version"-*.deb "$T"/build/dfusim_"$version"-*.deb)
for d in "${debs[@]}"; do
	[ -f "$d" ] || fail "cpack made no $(basename "$d") (made: $(ls "$T"/build/*.deb 2>/dev/null))"
done
ok "built $(basename "${debs[0]}") and $(basename "${debs[1]}") in $((SECONDS - start)) s"

# The runtime dependencies are declared.
deps=$(dpkg-deb -f "${debs[0]}" Depends)
for want in libc6 libusb-1.0-0 libelf1 zlib1g; do
	grep -qE "(^|, )$want( |,|$)" <<<"$deps" || fail "dfuflash does not depend on $want: $deps"
done
grep -q umockdev <<<"$deps" && fail "dfuflash depends on umockdev: $deps"
simdeps=$(dpkg-deb -f "${debs[1]}" Depends)
for want in libumockdev0 umockdev; do
	grep -qE "(^|, )$want( |,|$)" <<<"$simdeps" || fail "dfusim does not depend on $want: $simdeps"
done
ok "dfuflash depends on: $deps"
ok "dfusim depends on: $simdeps"

# 2. Install.
installed=(dfusim dfuflash)
for i in $(seq 1 60); do
	dpkg -i "${debs[@]}" >"$T/install.log" 2>&1 && break
	grep -q 'lock' "$T/install.log" && [ "$i" -lt 60 ] || { cat "$T/install.log" >&2; fail "dpkg -i"; }
	sleep 2
done
dpkg -L dfuflash dfusim | sort -u >"$T/files"
ok "installed: $(dpkg-query -W -f='${Package} ${Version}  ' dfuflash dfusim)"
sed 's/^/  /' "$T/files"

# 3. The tools, as installed.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
[ "$(command -v dfuflash)" = /usr/bin/dfuflash ] || fail "dfuflash is not /usr/bin/dfuflash"
out=$(dfuflash --version)
grep -qE "^dfuflash $version \(libdfuflash $version, libusb [0-9]+\.[0-9]+\.[0-9]+" <<<"$out" ||
	fail "dfuflash --version: '$out' (want version $version and libusb's)"
ok "dfuflash --version: $out"
expect_exit 0 dfuflash list
ok "dfuflash list"
expect_exit 0 dfusim chips
ok "dfusim chips"

for page in dfuflash dfusim; do
	path=$(man -w "$page") || fail "man -w $page"
	[ "$path" = "/usr/share/man/man1/$page.1.gz" ] || fail "man -w $page: $path"
done
bash "$src/scripts/check_man.sh" "$(man -w dfuflash)" /usr/bin/dfuflash \
	"$(man -w dfusim)" /usr/bin/dfusim || fail "man pages and --help disagree"
ok "man -w dfuflash: $(man -w dfuflash)"

read -r libs < <(pkg-config --libs dfuflash)   # (read trims its trailing space)
[ "$libs" = "-ldfuflash" ] || fail "pkg-config --libs dfuflash: '$libs'"
[ "$(pkg-config --modversion dfuflash)" = "$version" ] || fail "pkg-config --modversion"
ok "pkg-config --libs dfuflash: $libs"

rules=/usr/lib/udev/rules.d/50-dfuflash.rules
grep -q 'ATTR{idProduct}=="df11".*' "$rules" && grep -q 'uaccess' "$rules" || fail "no udev rule"
completion=/usr/share/bash-completion/completions/dfuflash
words=$(bash -c '. "$1"; COMP_WORDS=(dfuflash fl); COMP_CWORD=1; _dfuflash; echo "${COMPREPLY[*]}"
	COMP_WORDS=(dfuflash flash --no-); COMP_CWORD=2; _dfuflash; echo "${COMPREPLY[*]}"' _ "$completion")
first=${words%%$'\n'*}
rest=${words#*$'\n'}
[ "$first" = flash ] || fail "bash completion of 'fl': '$first'"
for w in --no-leave --no-verify --no-smart; do
	case " $rest " in *" $w "*) ;; *) fail "bash completion of 'flash --no-' lacks $w: '$rest'" ;; esac
done
ok "udev rule and bash completion"

# libdfuflash.so.0 exports exactly the public header's functions.
lib=$(pkg-config --variable=libdir dfuflash)/libdfuflash.so.0
[ -f "$lib" ] || fail "no $lib"
nm -D --defined-only "$lib" | awk '$2 ~ /[TDBRW]/ {print $3}' | sort >"$T/exported"
grep -oE '\b(dfu|dfuse)_[a-z0-9_]+\(' /usr/include/dfuflash.h | tr -d '(' | sort -u >"$T/declared"
diff "$T/declared" "$T/exported" >"$T/exports.diff" || {
	cat "$T/exports.diff" >&2
	fail "$lib exports other symbols than dfuflash.h declares (> exported only, < declared only)"
}
ok "$lib exports the $(wc -l <"$T/exported") functions dfuflash.h declares, nothing else"

# Whether program $1 runs with the installed libdfuflash.so.0 (/lib is
# /usr/lib on a merged-/usr system: compare real paths).
uses_installed_lib() {
	local path
	path=$(ldd "$1" | awk '$1 == "libdfuflash.so.0" {print $3}')
	[ -n "$path" ] && [ "$(readlink -f "$path")" = "$(readlink -f "$lib")" ]
}

# 4. A program of the library's user: flash an image with dfu_flash().
cat >"$T/prog.c" <<'PROG'
#include <dfuflash.h>
#include <stdio.h>
#include <string.h>

#if !defined(DFUFLASH_VERSION_NUM) || DFUFLASH_VERSION_NUM < 0x000100
#error "dfuflash.h has no version"
#endif

/* prog IMAGE.bin: flash it at 0x08000000 into the one ST bootloader. */
int main(int argc, char **argv)
{
	struct dfu_ctx *ctx = NULL;
	struct dfu_image *img = NULL;
	struct dfu_dev *dev = NULL;
	struct dfu_read_opts ro = { .format = DFU_FORMAT_BIN, .has_base_address = true,
				    .base_address = 0x08000000 };
	struct dfu_match match = { .id_count = 1, .id_vendor = { 0x0483 },
				   .id_product = { 0xdf11 } };
	struct dfu_flash_opts fo = { .alt = "0" };
	struct dfu_flash_result res;
	int err;

	if (argc != 2 || strcmp(dfu_version(), DFUFLASH_VERSION))
		return 2;
	err = dfu_ctx_new(&ctx);
	if (!err)
		err = dfu_image_read_file(ctx, argv[1], &ro, &img);
	if (!err)
		err = dfu_usb_open(ctx, &match, &dev);
	if (!err)
		err = dfu_flash(dev, img, &fo, &res);
	if (err)
		fprintf(stderr, "prog: %s: %s\n", dfu_errname(err),
			ctx ? dfu_detail(ctx) : "");
	else
		printf("prog: wrote %llu bytes, verified %llu, libdfuflash %s, libusb %s\n",
		       (unsigned long long)res.bytes_written,
		       (unsigned long long)res.bytes_verified, dfu_version(),
		       dfu_libusb_version());
	dfu_dev_close(dev);
	dfu_image_free(img);
	dfu_ctx_free(ctx);
	return err ? 1 : !res.verified;
}
PROG
mkdir -p "$T/user"
cd "$T/user"
# shellcheck disable=SC2046 # flags are words
cc -std=c11 -Wall -Wextra -Werror -o prog "$T/prog.c" $(pkg-config --cflags --libs dfuflash) ||
	fail "compiling against the installed dfuflash.h with pkg-config"
uses_installed_lib ./prog || fail "prog does not use $lib: $(ldd ./prog)"
# shellcheck disable=SC2046
cc -std=c11 -o prog-static "$T/prog.c" $(pkg-config --cflags dfuflash) \
	"$(pkg-config --variable=libdir dfuflash)/libdfuflash.a" \
	$(pkg-config --static --libs dfuflash | sed 's/-ldfuflash//') ||
	fail "linking the installed libdfuflash.a with pkg-config --static"
ldd ./prog-static | grep -q libdfuflash && fail "prog-static uses the shared library"
ok "built prog against the installed library (shared and static)"

make_random image.bin 20K
out=$(dfusim run --chip stm32f407 --flash st -- ./prog image.bin 2>&1) ||
	fail "prog under dfusim: $out"
grep -q "wrote 20480 bytes, verified " <<<"$out" || fail "prog: $out"
assert_prefix st image.bin
ok "$out"
make_random image2.bin 6K
dfusim run --chip stm32f407 --flash st -- ./prog-static image2.bin >/dev/null 2>&1 ||
	fail "prog-static under dfusim"
assert_prefix st image2.bin
ok "prog-static flashed image2.bin"

# CMake's find_package(dfuflash).
mkdir -p "$T/cmake-user"
cat >"$T/cmake-user/CMakeLists.txt" <<'CML'
cmake_minimum_required(VERSION 3.18)
project(user LANGUAGES C)
find_package(dfuflash 0 REQUIRED)
add_executable(prog prog.c)
target_link_libraries(prog PRIVATE dfuflash::dfuflash)
CML
cp "$T/prog.c" "$T/cmake-user/"
(cmake -S "$T/cmake-user" -B "$T/cmake-user/b" >"$T/cmake-user.log" 2>&1 &&
 cmake --build "$T/cmake-user/b" >>"$T/cmake-user.log" 2>&1) || {
	cat "$T/cmake-user.log" >&2
	fail "find_package(dfuflash) and dfuflash::dfuflash"
}
uses_installed_lib "$T/cmake-user/b/prog" || fail "CMake's prog does not use $lib: $(ldd "$T/cmake-user/b/prog")"
ok "find_package(dfuflash): dfuflash::dfuflash"
cd "$T"

# 5. Purge: nothing of either package is left.
purge dfusim dfuflash || fail "dpkg --purge"
installed=()
for p in dfuflash dfusim; do
	if dpkg -L "$p" >/dev/null 2>&1; then
		fail "dpkg -L $p still lists files after --purge"
	fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed' &&
		fail "$p is still known to dpkg: $(dpkg-query -W -f='${Status}' "$p")"
done
left=0
while IFS= read -r f; do
	if [ -L "$f" ] || [ -f "$f" ]; then
		echo "left behind: $f" >&2
		left=1
	fi
done <"$T/files"
[ "$left" = 0 ] || fail "files of the packages are left after dpkg --purge"
hash -r
command -v dfuflash >/dev/null && fail "dfuflash is still on PATH"
ok "purged; none of the $(wc -l <"$T/files") paths of the packages is left ($((SECONDS - start)) s in all)"

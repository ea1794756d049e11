# Debian packages, built with cpack from a build configured for /usr:
#
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
#
# makes two packages, one per install component (cmake/install.cmake):
#  - dfuflash: the tool, libdfuflash (shared and static), its headers,
#    dfuflash.pc, the CMake package, man page, udev rule, bash completion.
#    Needs only libc, libusb-1.0, libelf, zlib and libzip.
#  - dfusim: the simulator. Its own package because it needs umockdev (and
#    through it GLib, libudev, libpcap), which flashing an ECU does not:
#    people who only flash do not get a USB mock stack installed.
# Runtime dependencies are found by dpkg-shlibdeps from what the binaries
# link; dfusim also needs umockdev's libumockdev-preload.so.0, which it
# preloads by name and no tool can see, so it is named here.

set(CPACK_PACKAGE_NAME dfuflash)
set(CPACK_PACKAGE_VENDOR "dfuflash")
set(CPACK_PACKAGE_CONTACT "dfuflash developers <dfuflash@users.noreply.github.com>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
# The package puts files where the build was configured to (dfuflash.pc
# and the CMake files name that prefix).
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dfuflash)
if(TARGET dfusim)
  list(APPEND CPACK_COMPONENTS_ALL dfusim)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # dfuflash_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DFUFLASH_PACKAGE_NAME dfuflash)
set(CPACK_DEBIAN_DFUFLASH_PACKAGE_SECTION electronics)
# libdfuflash.so.0: a shlibs file, and ldconfig run on install and removal.
set(CPACK_DEBIAN_DFUFLASH_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_DFUFLASH_PACKAGE_SUGGESTS "dfusim, dfu-util")
set(CPACK_DEBIAN_DFUFLASH_DESCRIPTION
"flash STM32 engine-control units through the ROM DFU bootloader
 dfuflash writes firmware to STM32F4/F7/H7 ECUs (FOME, rusEFI) through the
 chip's ROM DFU bootloader: it erases only the sectors the image touches,
 keeps the rest (a stored tune) through a recovery journal on disk,
 verifies everything, and handles dual-bank STM32F7 parts correctly. It
 accepts dfu-util's command line as the FOME documentation writes it.
 .
 This package also holds libdfuflash (shared and static), its headers,
 pkg-config and CMake files, a udev rule that lets the logged-in user open
 the bootloader, and bash completion.")

set(CPACK_DEBIAN_DFUSIM_PACKAGE_NAME dfusim)
set(CPACK_DEBIAN_DFUSIM_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DFUSIM_PACKAGE_DEPENDS "umockdev")
set(CPACK_DEBIAN_DFUSIM_PACKAGE_SUGGESTS "dfuflash, dfu-util")
set(CPACK_DEBIAN_DFUSIM_DESCRIPTION
"simulated STM32 ROM DFU bootloaders for host software
 dfusim puts simulated STM32 ROM bootloaders (F4, F7, H7, single or dual
 bank) on a umockdev USB bus and runs a command that sees them through
 libusb, as real devices: no hardware, kernel module or root. It models the
 flash, the ROM's timing and quirks, option bytes and read protection, and
 injects faults on demand. For testing flashing tools such as dfuflash and
 dfu-util.")

include(CPack)

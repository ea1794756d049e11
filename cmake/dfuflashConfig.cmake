# find_package(dfuflash): the imported targets dfuflash::dfuflash (the
# shared library, libdfuflash.so) and dfuflash::dfuflash_static
# (libdfuflash.a, which needs libusb-1.0, libelf, zlib and libzip to link).
include("${CMAKE_CURRENT_LIST_DIR}/dfuflashTargets.cmake")

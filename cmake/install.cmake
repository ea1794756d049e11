# What `cmake --install` (and so the Debian packages) puts where. Two
# components: "dfuflash" (the tool, the library, its headers and its
# pkg-config and CMake files, the man page, the udev rule, the bash
# completion) and "dfusim" (the simulator and its man page).

# udev reads /usr/lib/udev/rules.d (packages) and /etc/udev/rules.d (the
# administrator); under any other prefix the rule is installed for a
# person to copy into /etc/udev/rules.d.
set(DFU_UDEV_RULES_DIR "lib/udev/rules.d" CACHE STRING
    "Where the udev rule goes (relative to the prefix)")
set(DFU_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "Where the bash completion goes (relative to the prefix)")
set(DFU_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/dfuflash")

# The tool, and the library both ways.
install(TARGETS dfuflash RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dfuflash)
install(TARGETS dfuflash_shared dfuflash_lib EXPORT dfuflashTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dfuflash
                NAMELINK_COMPONENT dfuflash
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dfuflash)
install(FILES ${PROJECT_SOURCE_DIR}/include/dfuflash.h ${PROJECT_SOURCE_DIR}/include/dfu_wire.h
              ${PROJECT_BINARY_DIR}/include/dfuflash_version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dfuflash)

# pkg-config: `pkg-config --cflags --libs dfuflash` for the shared library,
# with --static for the static one.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DFU_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(DFU_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DFU_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(DFU_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/dfuflash.pc.in ${PROJECT_BINARY_DIR}/dfuflash.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dfuflash.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dfuflash)

# CMake: find_package(dfuflash) gives dfuflash::dfuflash (shared) and
# dfuflash::dfuflash_static.
include(CMakePackageConfigHelpers)
install(EXPORT dfuflashTargets NAMESPACE dfuflash:: DESTINATION ${DFU_CMAKE_DIR}
        COMPONENT dfuflash)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dfuflashConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/dfuflashConfig.cmake
              ${PROJECT_BINARY_DIR}/dfuflashConfigVersion.cmake
        DESTINATION ${DFU_CMAKE_DIR} COMPONENT dfuflash)

# Access to the ECU without root, and completion.
install(FILES ${PROJECT_SOURCE_DIR}/contrib/50-dfuflash.rules
        DESTINATION ${DFU_UDEV_RULES_DIR} COMPONENT dfuflash)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/dfuflash.bash-completion
        DESTINATION ${DFU_BASH_COMPLETION_DIR} RENAME dfuflash COMPONENT dfuflash)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/dfuflash.md
              ${PROJECT_SOURCE_DIR}/docs/formats.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/dfuflash COMPONENT dfuflash)

if(TARGET dfusim)
  install(TARGETS dfusim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dfusim)
  # dfusim run preloads it into the command (the modem ioctls on its ptys)
  install(TARGETS dfusim_ttyshim LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/dfusim
          NAMELINK_SKIP COMPONENT dfusim)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/dfusim-run.md ${PROJECT_SOURCE_DIR}/docs/dfusim.md
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/dfusim COMPONENT dfusim)
endif()

# Man pages. One source: each option is described once, in the C table that
# parses it and prints its --help (src/tool_options.c, and each command's
# own usage); docs/man/TOOL.1.in holds the prose around it and says where
# the tool's help goes. scripts/gen_man.sh runs the built tool for it, so
# the man page and --help cannot disagree (scripts/check_man.sh checks).
if(DFU_BUILD_MAN)
  set(man_tools dfuflash)
  if(TARGET dfusim)
    list(APPEND man_tools dfusim)
  endif()
  set(man_pages)
  foreach(tool ${man_tools})
    set(page ${PROJECT_BINARY_DIR}/man/${tool}.1)
    add_custom_command(
      OUTPUT ${page} ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E env DFUFLASH_STATE_DIR=${PROJECT_BINARY_DIR}/man/state
              ASAN_OPTIONS=detect_leaks=0
              sh ${PROJECT_SOURCE_DIR}/scripts/gen_man.sh $<TARGET_FILE:${tool}>
                 ${PROJECT_SOURCE_DIR}/docs/man/${tool}.1.in ${PROJECT_VERSION} ${page}
      DEPENDS ${tool} ${PROJECT_SOURCE_DIR}/docs/man/${tool}.1.in
              ${PROJECT_SOURCE_DIR}/scripts/gen_man.sh
      COMMENT "Generating the man page ${tool}.1 from ${tool}'s --help"
      VERBATIM)
    list(APPEND man_pages ${page})
    install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${tool})
  endforeach()
  add_custom_target(man ALL DEPENDS ${man_pages})
  if(DFU_BUILD_TESTS)
    add_test(NAME man COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/check_man.sh
                              ${PROJECT_BINARY_DIR}/man/dfuflash.1 $<TARGET_FILE:dfuflash>
                              ${PROJECT_BINARY_DIR}/man/dfusim.1 $<TARGET_FILE:dfusim>)
    set_tests_properties(man PROPERTIES
                         ENVIRONMENT "DFUFLASH_STATE_DIR=${PROJECT_BINARY_DIR}/man/state;ASAN_OPTIONS=detect_leaks=0"
                         SKIP_RETURN_CODE 77)
  endif()
endif()

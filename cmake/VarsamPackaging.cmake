# Debian packages of varsam, made by CPack's DEB generator from the install components
# (CMakeLists.txt, "Install"): in a Release build folder, `cpack -G DEB` writes
#   libvarsam0_<version>_<arch>.deb     the shared library libvarsam.so.0      (component runtime)
#   libvarsam-dev_<version>_<arch>.deb  headers, libvarsam.a, CMake package, varsam.pc (dev)
#   varsam-cli_<version>_<arch>.deb     the varsam CLI                         (component cli)
# Each carries /usr/share/doc/<package>/copyright and changelog.gz as Debian Policy 12.5 and 12.7
# ask. Depends on libraries come from dpkg-shlibdeps; libvarsam-dev depends on the -dev packages
# that varsamConfig.cmake finds. The test "install: Debian packages ..." (scripts/check-install
# --deb) builds them, lints them and builds examples/c against them. docs/building.md.
#
# References: CPack DEB generator, https://cmake.org/cmake/help/latest/cpack_gen/deb.html;
# Debian Policy Manual, https://www.debian.org/doc/debian-policy/ (8 shared libraries, 12.5
# copyright, 12.7 changelog); copyright format 1.0,
# https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/.

set(VARSAM_DEB_MAINTAINER "varsam developers <dev@varsam.invalid>" CACHE STRING
    "Maintainer field of the Debian packages (a distributor sets its own)")

set(_deb_runtime libvarsam${PROJECT_VERSION_MAJOR})
set(_deb_dev libvarsam-dev)
set(_deb_cli varsam-cli)
set(_deb_doc "${CMAKE_CURRENT_BINARY_DIR}/debian-doc")

# /usr/share/doc/<package>/{copyright,changelog.gz}: installed only for the packages (the
# components are installed one by one there), never by a plain `cmake --install`.
string(TIMESTAMP _deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)  # honours SOURCE_DATE_EPOCH
foreach(_component runtime dev cli)
  set(_pkg "${_deb_${_component}}")
  file(WRITE "${_deb_doc}/${_pkg}/copyright"
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: varsam\n"
    "Source: the varsam source tree (README.md)\n"
    "\n"
    "Files: *\n"
    "Copyright: 2026 the varsam developers\n"
    "License: Apache-2.0\n"
    "\n"
    "License: Apache-2.0\n"
    " Licensed under the Apache License, Version 2.0 (LICENSE in the source).\n"
    " .\n"
    " On Debian systems, the complete text of the Apache License, Version 2.0\n"
    " can be found in /usr/share/common-licenses/Apache-2.0.\n")
  file(WRITE "${_deb_doc}/${_pkg}/changelog"
    "varsam (${PROJECT_VERSION}) unstable; urgency=medium\n"
    "\n"
    "  * varsam ${PROJECT_VERSION}; what changed is in CHANGELOG.md of the source.\n"
    "\n"
    " -- ${VARSAM_DEB_MAINTAINER}  ${_deb_date}\n")
  execute_process(COMMAND gzip -9nf "${_deb_doc}/${_pkg}/changelog" COMMAND_ERROR_IS_FATAL ANY)
  install(FILES "${_deb_doc}/${_pkg}/copyright" "${_deb_doc}/${_pkg}/changelog.gz"
    DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${_pkg}"
    COMPONENT ${_component}
    EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME varsam)
set(CPACK_PACKAGE_VENDOR "varsam")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# CPack's own default summary, on purpose: CPackDeb prepends any other summary to every
# package's description, and each package has its synopsis as its description's first line.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_CONTACT "${VARSAM_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the C shim's debug info (for the ABI check) stays in the build
set(CPACK_COMPONENTS_ALL runtime dev cli)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VARSAM_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# DEBIAN/shlibs and the ldconfig trigger for the package with libvarsam.so.0: packages built
# against it depend on libvarsam0 (>= this version).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)  # libvarsam-dev: libvarsam0 (= version)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME "${_deb_runtime}")
# The ldconfig cache is refreshed by libc's trigger (Debian Policy 8.1.1). CPack also writes
# postinst/postrm that call ldconfig; lintian warns about those (docs/building.md).
file(WRITE "${_deb_doc}/triggers" "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA "${_deb_doc}/triggers")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "decision support for Swedish social services - shared library
varsam is an embeddable library of lawful decision support for Swedish social
services: identity numbers, standardised instruments and their scores, a
journal and register store, models learned from the register, outcome
monitoring, group insights with disclosure control, anonymisation and a
tamper-evident audit log, each call checked against the legal basis.
.
This package contains the shared library libvarsam.so.0, which exports the
stable C API (varsam.h); symbols are versioned (VARSAM_0.1).")

set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME "${_deb_dev}")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# varsamConfig.cmake finds these for varsam::varsam_static (the static library and C++ API).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libabsl-dev, nlohmann-json3-dev, libsqlite3-dev, libpq-dev, libssl-dev, libre2-dev, libeigen3-dev, coinor-libclp-dev, pkg-config")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "decision support for Swedish social services - development files
varsam is an embeddable library of lawful decision support for Swedish social
services.
.
This package contains what a host builds against: the C header varsam.h and
the C++ headers varsam/*.h, the static library libvarsam.a, the CMake package
(find_package(varsam CONFIG): varsam::varsam and varsam::varsam_static) and
the pkg-config file varsam.pc.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME "${_deb_cli}")
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_CLI_DESCRIPTION
  "decision support for Swedish social services - command-line tool
varsam is an embeddable library of lawful decision support for Swedish social
services.
.
This package contains the varsam command: check identity numbers, score
instruments, keep a store, train and apply models, monitor outcomes, query
group insights, anonymise records and verify the audit log, with JSON in and
out.")

include(CPack)

# Installation extras and the Debian package, included at the end of the
# top-level CMakeLists.txt (after its install() of the binary and the man
# page):
#
#   cmake --install build            # /usr/local: binary, man page, links,
#                                    # bash completion, docs
#   cd build && cpack -G DEB         # kubecapscan_VERSION_ARCH.deb
#
# What the package holds (tests/e2e/test_packaging.py checks the exact list):
#   /usr/bin/kubecapscan
#   /usr/bin/kubectl-capscan -> kubecapscan    (kubectl plugin: `kubectl capscan`)
#   /usr/bin/kubectl_complete-capscan          (its completion, kubectl >= 1.26)
#   /usr/share/man/man1/kubecapscan.1.gz
#   /usr/share/man/man1/kubectl-capscan.1.gz -> kubecapscan.1.gz
#   /usr/share/bash-completion/completions/kubecapscan
#   /usr/share/bash-completion/completions/kubectl-capscan -> kubecapscan
#   /usr/share/doc/kubecapscan/{README.md,LICENSE,copyright}
#
# Dependencies: computed by dpkg-shlibdeps when it is installed (package
# dpkg-dev), else the explicit list below.

set(KCS_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(KCS_COMPLETIONSDIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
set(KCS_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/kubecapscan)

# ---- files ---------------------------------------------------------------

install(FILES ${KCS_PKG_DIR}/completion/kubecapscan.bash
        DESTINATION ${KCS_COMPLETIONSDIR} RENAME kubecapscan)
# kubectl runs kubectl_complete-<plugin> to complete `kubectl capscan ...`;
# it finds the file above as ../${KCS_COMPLETIONSDIR}/kubecapscan.
install(PROGRAMS ${KCS_PKG_DIR}/completion/kubectl_complete-capscan
        DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
              ${KCS_PKG_DIR}/deb/copyright
        DESTINATION ${KCS_DOCDIR})

# ---- at install time: compress the man page, make the links ----------------
# Paths are resolved when installing, so that `cpack` (prefix /usr in its
# staging tree) and `cmake --install --prefix P` both get them right. The
# links are relative, so they stay right wherever the tree is unpacked.

find_program(KCS_GZIP gzip)
if(NOT KCS_GZIP)
  message(WARNING "gzip not found: the man page is installed uncompressed")
endif()

install(CODE "
  set(_kcs_root \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(_kcs_man \"\${_kcs_root}/${CMAKE_INSTALL_MANDIR}/man1\")
  set(_kcs_gzip \"${KCS_GZIP}\")
  if(_kcs_gzip AND EXISTS \"\${_kcs_man}/kubecapscan.1\")
    # -n: no name or time stamp in the header, so the package is reproducible
    execute_process(COMMAND \"\${_kcs_gzip}\" -9nf \"\${_kcs_man}/kubecapscan.1\"
                    RESULT_VARIABLE _kcs_rc)
    if(NOT _kcs_rc EQUAL 0)
      message(FATAL_ERROR \"cannot compress '\${_kcs_man}/kubecapscan.1'\")
    endif()
  endif()
  if(EXISTS \"\${_kcs_man}/kubecapscan.1.gz\")
    set(_kcs_manext .1.gz)
  else()
    set(_kcs_manext .1)
  endif()
  foreach(_kcs_link
      \"${CMAKE_INSTALL_BINDIR}/kubectl-capscan|kubecapscan\"
      \"${CMAKE_INSTALL_MANDIR}/man1/kubectl-capscan\${_kcs_manext}|kubecapscan\${_kcs_manext}\"
      \"${KCS_COMPLETIONSDIR}/kubectl-capscan|kubecapscan\")
    string(REPLACE \"|\" \";\" _kcs_pair \"\${_kcs_link}\")
    list(GET _kcs_pair 0 _kcs_name)
    list(GET _kcs_pair 1 _kcs_target)
    message(STATUS \"Installing: \${_kcs_root}/\${_kcs_name} -> \${_kcs_target}\")
    file(REMOVE \"\${_kcs_root}/\${_kcs_name}\")
    file(CREATE_LINK \"\${_kcs_target}\" \"\${_kcs_root}/\${_kcs_name}\" SYMBOLIC)
  endforeach()
")

# ---- the Debian package (cpack -G DEB) -----------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kubecapscan)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "kubecapscan developers")
set(CPACK_PACKAGE_CONTACT "kubecapscan developers <kubecapscan@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "audit Kubernetes pods for CIS Kubernetes Benchmark 5.2.8 (NET_RAW)")
set(CPACK_PACKAGE_DESCRIPTION
"kubecapscan lists every pod and namespace of a Kubernetes cluster through
the API, as kubectl would reach it, and reports PASS or FAIL per container,
pod and namespace for CIS Kubernetes Benchmark control 5.2.8, 'Minimize the
admission of containers with the NET_RAW capability', with the reason in
words, as a table or as JSON. It also reads what `kubectl get -o json`
prints. Installed as kubectl-capscan too, it is the kubectl plugin
`kubectl capscan`.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl, bash-completion")
# dpkg-shlibdeps sees symbols only; the top-level CMakeLists.txt needs
# libcurl >= 7.77 (options, not symbols), so that floor is stated here.
find_program(KCS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(KCS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # appended to the list below
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.77.0)")
else()
  # What dpkg-shlibdeps computes on Debian 12 for the same binary.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.34), libcurl4 (>= 7.77.0), libssl3 (>= 3.0.0), libyajl2 (>= 2.0.4), libyaml-0-2")
endif()

# `make package_source`: the sources only, not local build directories.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/build[^/]*/" "/\\.git/" "/__pycache__/" "\\.deb$")

include(CPack)

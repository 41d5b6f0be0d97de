# Runs at install time (from deploy/CMakeLists.txt), when CMAKE_INSTALL_PREFIX holds the prefix given to
# `cmake --install --prefix` and file(INSTALL) honours $DESTDIR.

function(presenced_install_dir out relative_or_absolute)
  if(IS_ABSOLUTE "${relative_or_absolute}")
    set(${out} "${relative_or_absolute}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${relative_or_absolute}" PARENT_SCOPE)
  endif()
endfunction()

presenced_install_dir(PRESENCED_BINDIR "${PRESENCED_INSTALL_BINDIR}")
presenced_install_dir(PRESENCED_DOCDIR "${PRESENCED_INSTALL_DOCDIR}")

configure_file("${PRESENCED_UNIT_TEMPLATE}" "${PRESENCED_STAGING_DIR}/presenced.service" @ONLY)
file(INSTALL "${PRESENCED_STAGING_DIR}/presenced.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The example goes with the documentation (Debian policy: examples/ of the package's doc directory);
# /etc/presenced is the admin's, and is never touched.
file(INSTALL "${PRESENCED_EXAMPLE_CONFIG}" DESTINATION "${PRESENCED_DOCDIR}/examples"
     RENAME presenced.yaml
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

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
# The example goes where the unit reads the config (/etc/presenced, systemd's
# ConfigurationDirectory=presenced) whatever the prefix: under <prefix>/etc nobody would find it.
# An absolute CMAKE_INSTALL_SYSCONFDIR still wins, for packagers who stage elsewhere.
if(IS_ABSOLUTE "${PRESENCED_INSTALL_SYSCONFDIR}")
  set(sysconfdir "${PRESENCED_INSTALL_SYSCONFDIR}")
else()
  set(sysconfdir "/etc")
endif()

configure_file("${PRESENCED_UNIT_TEMPLATE}" "${PRESENCED_STAGING_DIR}/presenced.service" @ONLY)
file(INSTALL "${PRESENCED_STAGING_DIR}/presenced.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Only the .example: an existing presenced.yaml is the admin's and is never touched.
file(INSTALL "${PRESENCED_EXAMPLE_CONFIG}" DESTINATION "${sysconfdir}/presenced"
     RENAME presenced.yaml.example
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

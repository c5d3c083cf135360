# Writes out headcount's two services from systemd/headcount.service.in at
# install time, into ${PREFIX}/lib/systemd/system: run by install(CODE) in
# shell/CMakeLists.txt, which sets HC_TEMPLATE, HC_OUT_DIR (a build
# directory), HC_BINDIR, HC_DOCDIR and PREFIX. The two differ only in the
# lines below; hardening and credentials are the template's, shared.
foreach(HC_NAME sync daemon)
    set(HC_UNIT "headcount-${HC_NAME}.service")
    set(HC_COMMAND "${HC_NAME}")
    if(HC_NAME STREQUAL "sync")
        set(HC_DESCRIPTION "headcount license sync (GHES + GHEC seat count and upload)")
        set(HC_TYPE "oneshot")
        set(HC_SERVICE_LINES "")
        set(HC_INSTALL_SECTION "")
    else()
        set(HC_DESCRIPTION "headcount license sync daemon (weekly, or at once on SIGUSR1)")
        set(HC_TYPE "simple")
        # reload: a new config (a broken one is logged and the old kept);
        # a restart after a failure waits a minute, e.g. while another
        # daemon still holds the state directory (exit 75).
        set(HC_SERVICE_LINES "ExecReload=/bin/kill -HUP \$MAINPID\nRestart=on-failure\nRestartSec=60\n")
        set(HC_INSTALL_SECTION "\n[Install]\nWantedBy=multi-user.target")
    endif()
    configure_file("${HC_TEMPLATE}" "${HC_OUT_DIR}/${HC_UNIT}" @ONLY)
    file(INSTALL "${HC_OUT_DIR}/${HC_UNIT}"
         DESTINATION "${PREFIX}/lib/systemd/system")
endforeach()

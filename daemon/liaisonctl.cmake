# liaisonctl: the operators' command-line client of liaisond's HTTP API: liaisonctl.c (the
# command line), ctl.c (shared plumbing, ctl.h) and one ctl_<topic>.c per group of commands.
# Included from daemon/CMakeLists.txt, which keeps these files out of liaisond's sources.
file(GLOB LIAISONCTL_COMMAND_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/ctl_*.c)
add_executable(liaisonctl ${CMAKE_CURRENT_LIST_DIR}/liaisonctl.c ${CMAKE_CURRENT_LIST_DIR}/ctl.c
                          ${LIAISONCTL_COMMAND_SOURCES})
target_link_libraries(liaisonctl PRIVATE liaison PkgConfig::CURL)

# liaisonctl: the operators' command-line client of liaisond's HTTP API. Included from
# daemon/CMakeLists.txt, which keeps liaisonctl.c out of liaisond's sources.
add_executable(liaisonctl ${CMAKE_CURRENT_LIST_DIR}/liaisonctl.c)
target_link_libraries(liaisonctl PRIVATE liaison PkgConfig::CURL)

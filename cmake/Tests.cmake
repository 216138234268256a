# Unit tests: one cmocka program per module, registered with ctest.
function(tg_unit_test name src)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE ${ARGN} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

# The same unit test again with the loop waiting in poll() instead of
# epoll (src/net/loop.c), so both backends run in CI.
function(tg_unit_test_poll name)
  add_test(NAME ${name}_poll COMMAND ${name})
  set_tests_properties(${name}_poll PROPERTIES TIMEOUT 120
    ENVIRONMENT "TERMGRAM_LOOP=poll;ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

tg_unit_test(test_util_map tests/util/test_map.c tg_util)
tg_unit_test(test_util_xmalloc tests/util/test_xmalloc.c tg_util)
tg_unit_test(test_util_fingerprint tests/util/test_fingerprint.c tg_util)
tg_unit_test(test_util_esc tests/util/test_esc.c tg_util)
tg_unit_test(test_db tests/db/test_db.c tg_db)
tg_unit_test(test_proto_b64 tests/proto/test_b64.c tg_proto)
tg_unit_test(test_proto_utf8 tests/proto/test_utf8.c tg_proto)
tg_unit_test(test_proto_frame tests/proto/test_frame.c tg_proto)
tg_unit_test(test_proto_build tests/proto/test_build.c tg_proto)
tg_unit_test(test_proto_schema tests/proto/test_schema.c tg_proto)
tg_unit_test(test_proto_feed tests/proto/test_feed.c tg_proto)
tg_unit_test(test_net_loop tests/net/test_loop.c tg_net)
tg_unit_test(test_net_conn tests/net/test_conn.c tg_net)
tg_unit_test_poll(test_net_loop)
if(TERMGRAM_HAVE_EPOLL)
  target_compile_definitions(test_net_loop PRIVATE TERMGRAM_HAVE_EPOLL)
endif()
tg_unit_test_poll(test_net_conn)
tg_unit_test(test_net_identity tests/net/test_identity.c tg_net)
tg_unit_test(test_net_tls tests/net/test_tls.c tg_net)
tg_unit_test_poll(test_net_tls)
tg_unit_test(test_client_roster tests/client/test_roster.c tg_client)
tg_unit_test(test_client_xfer tests/client/test_xfer.c tg_client)
tg_unit_test(test_client_store tests/client/test_store.c tg_client)
tg_unit_test(test_client_peer tests/client/test_peer.c tg_client)
tg_unit_test(test_client_light tests/client/test_light.c tg_client)
tg_unit_test(test_client_outbox tests/client/test_outbox.c tg_client)
tg_unit_test(test_client_known tests/client/test_known.c tg_client)
tg_unit_test(test_client_discover tests/client/test_discover.c tg_client)
tg_unit_test(test_client_session tests/client/test_session.c tg_client)
tg_unit_test(test_client_rooms tests/client/test_rooms.c tg_client)
tg_unit_test(test_ui_text tests/ui/test_text.c tg_ui)
tg_unit_test(test_ui_editor tests/ui/test_editor.c tg_ui)
tg_unit_test(test_ui_paths tests/ui/test_paths.c tg_ui)
tg_unit_test(test_cmd_args tests/cmd/test_args.c tg_cmd)
tg_unit_test(test_ui_config tests/ui/test_config.c tg_ui)
tg_unit_test(test_ui_view tests/ui/test_view.c tg_ui)
tg_unit_test(test_ui_format tests/ui/test_format.c tg_ui)
tg_unit_test(test_ui_history tests/ui/test_history.c tg_ui)
tg_unit_test(test_ui_complete tests/ui/test_complete.c tg_ui)
tg_unit_test(test_ui_hotlist tests/ui/test_hotlist.c tg_ui)
tg_unit_test(test_ui_room tests/ui/test_room.c tg_ui)
tg_unit_test(test_server_router tests/server/test_router.c tg_server)
tg_unit_test(test_server_directory tests/server/test_directory.c tg_server)
tg_unit_test(test_server_store tests/server/test_store.c tg_server)

# Integration: the real programs, started by the tests themselves.
function(tg_integration_test name src)
  add_executable(${name} ${src} tests/integration/harness.c)
  target_include_directories(${name} PRIVATE tests/integration)
  target_compile_definitions(${name} PRIVATE
    TERMGRAM_BIN_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE tg_proto PkgConfig::CMOCKA
    PkgConfig::LIBSSL PkgConfig::LIBCRYPTO)
  add_dependencies(${name} termgramd termgram)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

tg_integration_test(test_relay tests/integration/test_relay.c)
# The protocol tests again in plaintext, against a relay run --tls off.
add_test(NAME test_relay_plain COMMAND test_relay)
set_tests_properties(test_relay_plain PROPERTIES TIMEOUT 600
  ENVIRONMENT "TERMGRAM_TEST_TLS=off;ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
tg_integration_test(test_delivery tests/integration/test_delivery.c)
tg_integration_test(test_files tests/integration/test_files.c)
tg_integration_test(test_directory tests/integration/test_directory.c)
tg_integration_test(test_p2p tests/integration/test_p2p.c)
tg_integration_test(test_verified tests/integration/test_verified.c)
# The directory and P2P again in plaintext: the version-1 wire.
foreach(t test_directory test_p2p)
  add_test(NAME ${t}_plain COMMAND ${t})
  set_tests_properties(${t}_plain PROPERTIES TIMEOUT 600
    ENVIRONMENT "TERMGRAM_TEST_TLS=off;ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endforeach()
tg_integration_test(test_hardening tests/integration/test_hardening.c)
tg_integration_test(test_transport tests/integration/test_transport.c)
# kill -9 cycles of the relay under the real clients' load.
tg_integration_test(test_soak tests/integration/test_soak.c)
target_link_libraries(test_transport PRIVATE tg_util)
target_link_libraries(test_hardening PRIVATE PkgConfig::SQLITE3)
target_link_libraries(test_files PRIVATE PkgConfig::SODIUM)
# Backlogs and quotas; the memory test fills the store through its API.
tg_integration_test(test_backlog tests/integration/test_backlog.c)
target_link_libraries(test_backlog PRIVATE tg_server)

tg_integration_test(test_xfer_abuse tests/integration/test_xfer_abuse.c)
target_link_libraries(test_xfer_abuse PRIVATE PkgConfig::SODIUM)
# Files stored on the relay for users who are offline.
tg_integration_test(test_filestore tests/integration/test_filestore.c)
target_link_libraries(test_filestore PRIVATE PkgConfig::SODIUM)

# The full-screen client end to end, through tmux: one story script per
# feature (tests/e2e/*.sh, sharing tests/e2e/lib.sh), each with a relay,
# a temp folder and a tmux server of its own.
foreach(story bugs chat escapes files fits input layout login nav p2p reconnect
    pinned reading
    scroll search notify reply find transfers signin keys notices
    offers xferlist devices rooms)
  add_test(NAME tui_${story}
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e/${story}.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(tui_${story} PROPERTIES TIMEOUT 300
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endforeach()

# The load generator, every mode, against a real relay.
add_test(NAME bench_smoke COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/smoke.sh
  ${CMAKE_BINARY_DIR})
set_tests_properties(bench_smoke PROPERTIES TIMEOUT 600
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")

# Layer rule: arrows point down only.
add_test(NAME layers COMMAND ${CMAKE_SOURCE_DIR}/tests/check_layers.sh
  ${CMAKE_SOURCE_DIR}/src)

# The fuzzers: built only with clang; ctest runs each for a bounded time
# on its seed corpus (tests/fuzz/corpus/<name>, copied, so the corpus in
# the tree stays small). The frame decoder runs TERMGRAM_FUZZ_SECONDS, the
# stateful ones (router, client session, transfers, paths)
# TERMGRAM_FUZZ_SHORT_SECONDS each.
if(TERMGRAM_FUZZ)
  # Coverage instrumentation for the code under fuzz.
  foreach(lib tg_proto tg_server tg_client tg_ui tg_db)
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()
  function(tg_fuzzer name corpus seconds)
    add_executable(fuzz_${name} tests/fuzz/fuzz_${name}.c)
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE ${ARGN})
    add_test(NAME fuzz_${name} COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/run.sh
      $<TARGET_FILE:fuzz_${name}> ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${corpus}
      ${seconds})
    set_tests_properties(fuzz_${name} PROPERTIES TIMEOUT 900)
  endfunction()
  tg_fuzzer(frame frame ${TERMGRAM_FUZZ_SECONDS} tg_proto)
  tg_fuzzer(router router ${TERMGRAM_FUZZ_SHORT_SECONDS} tg_server)
  tg_fuzzer(session session ${TERMGRAM_FUZZ_SHORT_SECONDS} tg_client)
  # One store for the run, emptied between inputs (fuzz_session.c).
  target_link_options(fuzz_session PRIVATE
    -Wl,--wrap=client_store_open,--wrap=client_store_close)
  tg_fuzzer(xfer xfer ${TERMGRAM_FUZZ_SHORT_SECONDS} tg_client)
  tg_fuzzer(paths paths ${TERMGRAM_FUZZ_SHORT_SECONDS} tg_ui)
endif()
tg_integration_test(test_pins tests/integration/test_pins.c)
tg_integration_test(test_login tests/integration/test_login.c)
tg_unit_test(test_server_hasher tests/server/test_hasher.c tg_server)
tg_unit_test(test_server_config tests/server/test_config.c tg_server)
# The configuration file, the example, the log and SIGHUP, end to end.
add_test(NAME relay_config COMMAND sh ${CMAKE_SOURCE_DIR}/tests/server/config.sh
  ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(relay_config PROPERTIES TIMEOUT 120
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
# cmake --install into a DESTDIR, man pages, the systemd unit, the .deb.
add_test(NAME install COMMAND sh ${CMAKE_SOURCE_DIR}/tests/install/install.sh
  ${CMAKE_SOURCE_DIR})
set_tests_properties(install PROPERTIES TIMEOUT 300)
tg_unit_test(test_server_upgrade tests/server/test_upgrade.c tg_server)
# Relay-wide limits: output to non-readers, the password queue, partial lines.
tg_integration_test(test_limits tests/integration/test_limits.c)
target_link_libraries(test_limits PRIVATE PkgConfig::SODIUM)
# Two relays on one LAN made of network namespaces; skipped (77) without
# root or `ip netns`.
# The README's hosting guide, followed in a temporary root and two
# network namespaces (root only; skipped otherwise).
add_test(NAME guide COMMAND sh ${CMAKE_SOURCE_DIR}/tests/install/guide.sh
  ${CMAKE_SOURCE_DIR})
set_tests_properties(guide PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77)
add_test(NAME discover COMMAND sh ${CMAKE_SOURCE_DIR}/tests/integration/discover.sh
  ${CMAKE_BINARY_DIR})
set_tests_properties(discover PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# termgramd admin: users, delete, passwords, locks, backup and restore.
tg_integration_test(test_admin tests/integration/test_admin.c)
target_link_libraries(test_admin PRIVATE PkgConfig::SQLITE3)

# Logs and cursors of the relay's store, and the upgrade of a schema-1
# data folder (tests/server/fixtures/make-schema1.sh wrote the fixture).
add_library(tg_fixture_schema1 STATIC tests/server/fixtures/schema1.c)
target_link_libraries(tg_fixture_schema1 PUBLIC PkgConfig::SQLITE3)
target_include_directories(tg_fixture_schema1 PUBLIC tests/server)
target_compile_definitions(tg_fixture_schema1 PRIVATE
  FIXTURES="${CMAKE_SOURCE_DIR}/tests/server/fixtures")
tg_unit_test(test_server_seqlog tests/server/test_seqlog.c tg_server
  tg_fixture_schema1)

# Several devices per account at the relay: the upgrade of a schema-1
# data folder (the fixture of tests/server/fixtures).
tg_integration_test(test_devices tests/integration/test_devices.c)
target_link_libraries(test_devices PRIVATE tg_fixture_schema1)
tg_integration_test(test_rooms tests/integration/test_rooms.c)

# Rooms through the headless commands (termgram room, send, recv).
tg_integration_test(test_room_cmds tests/integration/test_room_cmds.c)

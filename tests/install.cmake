# install_units: `cmake --install` of this build into a scratch prefix
# writes both systemd services from their one template, with the prefix's
# paths, every placeholder filled and the lines that differ right
# (tests/install/check_units.cmake).
add_test(NAME install_units
         COMMAND ${CMAKE_COMMAND} -D BUILD_DIR=${CMAKE_BINARY_DIR}
                 -D OUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/install-units
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/install/check_units.cmake)
set_tests_properties(install_units PROPERTIES LABELS fast)

# ransim_add_plugin(NAME SOURCES...): a population-model plugin, i.e. a shared library
# linked against ransim, built into the directory ransim searches by default
# (<build>/lib/ransim/plugins) and installed to <prefix>/lib/ransim/plugins.
function(ransim_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE ransim::ransim)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib/ransim/plugins)
  if(NOT RANSIM_PLUGIN_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION lib/ransim/plugins)
  endif()
endfunction()

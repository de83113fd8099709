file(REMOVE_RECURSE
  "../../bin/ransim"
  "../../bin/ransim.pdb"
  "CMakeFiles/ransim_cli.dir/main.cpp.o"
  "CMakeFiles/ransim_cli.dir/main.cpp.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/ransim_cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

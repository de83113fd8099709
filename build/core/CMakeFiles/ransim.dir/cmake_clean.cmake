file(REMOVE_RECURSE
  "../lib/libransim.pdb"
  "../lib/libransim.so"
  "../lib/libransim.so.0"
  "../lib/libransim.so.0.1.0"
  "CMakeFiles/ransim.dir/populations/leaky.cpp.o"
  "CMakeFiles/ransim.dir/populations/leaky.cpp.o.d"
  "CMakeFiles/ransim.dir/src/network.cpp.o"
  "CMakeFiles/ransim.dir/src/network.cpp.o.d"
  "CMakeFiles/ransim.dir/src/params.cpp.o"
  "CMakeFiles/ransim.dir/src/params.cpp.o.d"
  "CMakeFiles/ransim.dir/src/population.cpp.o"
  "CMakeFiles/ransim.dir/src/population.cpp.o.d"
  "CMakeFiles/ransim.dir/src/projection.cpp.o"
  "CMakeFiles/ransim.dir/src/projection.cpp.o.d"
  "CMakeFiles/ransim.dir/src/recorder.cpp.o"
  "CMakeFiles/ransim.dir/src/recorder.cpp.o.d"
  "CMakeFiles/ransim.dir/src/registry.cpp.o"
  "CMakeFiles/ransim.dir/src/registry.cpp.o.d"
  "CMakeFiles/ransim.dir/src/ridge.cpp.o"
  "CMakeFiles/ransim.dir/src/ridge.cpp.o.d"
  "CMakeFiles/ransim.dir/src/rng.cpp.o"
  "CMakeFiles/ransim.dir/src/rng.cpp.o.d"
  "CMakeFiles/ransim.dir/src/run.cpp.o"
  "CMakeFiles/ransim.dir/src/run.cpp.o.d"
  "CMakeFiles/ransim.dir/src/scenario.cpp.o"
  "CMakeFiles/ransim.dir/src/scenario.cpp.o.d"
  "CMakeFiles/ransim.dir/src/simulator.cpp.o"
  "CMakeFiles/ransim.dir/src/simulator.cpp.o.d"
  "CMakeFiles/ransim.dir/src/tasks.cpp.o"
  "CMakeFiles/ransim.dir/src/tasks.cpp.o.d"
  "CMakeFiles/ransim.dir/src/thread_pool.cpp.o"
  "CMakeFiles/ransim.dir/src/thread_pool.cpp.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/ransim.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

# Included by the top-level CMakeLists.txt before any target when RANSIM_BUILD_FUZZ is ON:
# the whole build (libransim, the plugins) gets libFuzzer's coverage instrumentation and
# AddressSanitizer + UndefinedBehaviorSanitizer, so the fuzzers are guided by ransim's code
# and stop at the first memory error or undefined behaviour. libFuzzer comes with clang.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "RANSIM_BUILD_FUZZ needs clang (libFuzzer): configure with "
    "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ (fuzz/README.md)")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)

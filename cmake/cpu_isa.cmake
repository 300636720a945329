# CPU kernel variants. On Linux x86-64 the kernels (native/cpu/*.cc) are compiled three times —
# baseline x86-64, x86-64-v3 (AVX2+FMA) and x86-64-v4 (AVX-512) — and native/cpu/isa/dispatch.cc picks
# one at load. Each variant is partially linked and every symbol but its table filler is made local, so
# the inline/template code (ours and the standard library's) of one variant can never be chosen by the
# linker for another: an AVX-512 copy of std::vector code must not run on an AVX2 CPU.
# Elsewhere (or with OT_NATIVE_ARCH / OT_SANITIZE) one variant is linked directly (isa/single.cc).
set(OT_CXX_FLAGS -O3 -fno-math-errno -Wall -Wno-unused-function)
set(OT_ISA_SOURCES "")
set(OT_SINGLE_ISA_FLAGS "")

set(OT_MULTI_ISA OFF)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$"
   AND NOT OT_NATIVE_ARCH AND NOT OT_SANITIZE AND CMAKE_OBJCOPY AND CMAKE_LINKER)
  set(OT_MULTI_ISA ON)
endif()

if(NOT OT_MULTI_ISA)
  list(APPEND OT_ISA_SOURCES ${OT_KERNEL_SOURCES} ${CMAKE_SOURCE_DIR}/native/cpu/isa/single.cc)
  if(OT_NATIVE_ARCH AND NOT OT_SANITIZE)
    set(OT_SINGLE_ISA_FLAGS -march=native)
  endif()
  message(STATUS "optimal-transport: one CPU kernel variant (${OT_SINGLE_ISA_FLAGS})")
  return()
endif()

set(OT_ISA_FLAGS_generic -march=x86-64 -mtune=generic)
set(OT_ISA_FLAGS_avx2 -march=x86-64-v3 -mtune=generic)
set(OT_ISA_FLAGS_avx512 -march=x86-64-v4 -mtune=generic)

foreach(isa IN ITEMS generic avx2 avx512)
  set(objects ot_kernels_${isa})
  add_library(${objects} OBJECT ${OT_KERNEL_SOURCES} ${CMAKE_SOURCE_DIR}/native/cpu/isa/kernel_table.cc)
  set_target_properties(${objects} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${objects} PRIVATE ${CMAKE_SOURCE_DIR}/native)
  target_compile_definitions(${objects} PRIVATE OT_ISA_NAME=${isa})
  target_compile_options(${objects} PRIVATE ${OT_CXX_FLAGS} ${OT_ISA_FLAGS_${isa}})
  # GCC makes function-local statics of inline code (thread_buffer.h's thread_local) STB_GNU_UNIQUE,
  # which objcopy cannot make local: as plain weak symbols they become each variant's own.
  target_compile_options(${objects} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)

  set(variant ${CMAKE_BINARY_DIR}/ot_kernels_${isa}.o)
  add_custom_command(OUTPUT ${variant}
    COMMAND ${CMAKE_LINKER} -r --force-group-allocation -o ${variant}.partial $<TARGET_OBJECTS:${objects}>
    COMMAND ${CMAKE_OBJCOPY} --keep-global-symbol=ot_cpu_fill_kernels_${isa} ${variant}.partial ${variant}
    DEPENDS ${objects} $<TARGET_OBJECTS:${objects}>
    COMMAND_EXPAND_LISTS VERBATIM
    COMMENT "CPU kernels for ${isa}")
  set_source_files_properties(${variant} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  list(APPEND OT_ISA_SOURCES ${variant})
endforeach()
list(APPEND OT_ISA_SOURCES ${CMAKE_SOURCE_DIR}/native/cpu/isa/dispatch.cc)
message(STATUS "optimal-transport: CPU kernels for generic, avx2 and avx512, picked at load")

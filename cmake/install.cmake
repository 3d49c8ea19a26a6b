# `cmake --install BUILD --prefix P` installs the library, its headers, the `latentkit` program,
# a CMake package (find_package(latentkit CONFIG) -> latentkit::latentkit, which brings LibTorch,
# oneDNN, OpenBLAS and the rest of the link line with it) and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LATENTKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/latentkit)
set(LATENTKIT_INSTALL_TARGETS latentkit_core)

if(LATENTKIT_BUILD_SHARED AND NOT LATENTKIT_DEV_FILTER)
  # The same objects as the static library (compiled position-independent), linked as a .so.
  add_library(latentkit_shared SHARED $<TARGET_OBJECTS:latentkit_core>)
  set_target_properties(latentkit_shared PROPERTIES OUTPUT_NAME latentkit EXPORT_NAME latentkit_shared
                        VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_include_directories(latentkit_shared PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                             $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include> $<INSTALL_INTERFACE:include>)
  target_link_libraries(latentkit_shared PUBLIC ${TORCH_LIBRARIES} nlohmann_json::nlohmann_json
                        Threads::Threads ${CMAKE_DL_LIBS} PRIVATE ZLIB::ZLIB ${STB_LINK_LIBRARIES})
  if(LATENTKIT_HAVE_ONEDNN)
    target_link_libraries(latentkit_shared PUBLIC ${DNNL_LIBRARY})
  endif()
  add_library(latentkit::latentkit_shared ALIAS latentkit_shared)
  list(APPEND LATENTKIT_INSTALL_TARGETS latentkit_shared)
endif()

install(TARGETS ${LATENTKIT_INSTALL_TARGETS} EXPORT latentkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET latentkit)
  install(TARGETS latentkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/latentkit ${PROJECT_BINARY_DIR}/include/latentkit
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(EXPORT latentkitTargets NAMESPACE latentkit:: DESTINATION ${LATENTKIT_CMAKE_DIR})

# What the installed package must find again: the dependencies of the targets' link lines.
set(LATENTKIT_TORCH_DIR ${Torch_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/latentkitConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/latentkitConfig.cmake
                              INSTALL_DESTINATION ${LATENTKIT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/latentkitConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/latentkitConfig.cmake ${PROJECT_BINARY_DIR}/latentkitConfigVersion.cmake
        DESTINATION ${LATENTKIT_CMAKE_DIR})

# pkg-config: the same link line spelled out. LibTorch's CPU library registers its operators
# from static constructors, so it is linked --no-as-needed (as LibTorch's own CMake target does).
get_filename_component(LATENTKIT_TORCH_LIBDIR ${TORCH_LIBRARY} DIRECTORY)
set(LATENTKIT_PC_TORCH "-L${LATENTKIT_TORCH_LIBDIR} -Wl,-rpath,${LATENTKIT_TORCH_LIBDIR} -Wl,--no-as-needed -ltorch_cpu")
if(EXISTS ${LATENTKIT_TORCH_LIBDIR}/libtorch_cuda.so)
  string(APPEND LATENTKIT_PC_TORCH " -ltorch_cuda")
endif()
string(APPEND LATENTKIT_PC_TORCH " -Wl,--as-needed -ltorch -lc10")
if(EXISTS ${LATENTKIT_TORCH_LIBDIR}/libc10_cuda.so)
  string(APPEND LATENTKIT_PC_TORCH " -lc10_cuda")
endif()
set(LATENTKIT_PC_CFLAGS "${TORCH_CXX_FLAGS}")
foreach(dir ${TORCH_INCLUDE_DIRS})
  if(NOT dir STREQUAL "/usr/include")  # a system directory: -I would reorder the search
    string(APPEND LATENTKIT_PC_CFLAGS " -I${dir}")
  endif()
endforeach()
set(LATENTKIT_PC_LIBS "")
if(LATENTKIT_HAVE_ONEDNN)
  string(APPEND LATENTKIT_PC_LIBS " ${DNNL_LIBRARY}")
endif()
foreach(lib ${STB_LINK_LIBRARIES} ${ZLIB_LIBRARIES})
  string(APPEND LATENTKIT_PC_LIBS " ${lib}")
endforeach()
# From <prefix>/<libdir>/pkgconfig back up to <prefix>.
set(LATENTKIT_PC_UP "..")
string(REGEX MATCHALL "/" slashes "${CMAKE_INSTALL_LIBDIR}")
foreach(s ${slashes})
  string(APPEND LATENTKIT_PC_UP "/..")
endforeach()
string(APPEND LATENTKIT_PC_UP "/..")
configure_file(${PROJECT_SOURCE_DIR}/cmake/latentkit.pc.in ${PROJECT_BINARY_DIR}/latentkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/latentkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

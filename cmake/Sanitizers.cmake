# One option per sanitizer family. ASan and UBSan combine; TSan excludes ASan.
option(CK_SANITIZE_ADDRESS "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(CK_SANITIZE_THREAD "Build with ThreadSanitizer" OFF)

if(CK_SANITIZE_ADDRESS AND CK_SANITIZE_THREAD)
  message(FATAL_ERROR "CK_SANITIZE_ADDRESS and CK_SANITIZE_THREAD cannot be combined")
endif()

if(CK_SANITIZE_ADDRESS)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CK_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

// Provides std::ios_base_library_init(), the one symbol of GCC 13's libstdc++ (GLIBCXX_3.4.32)
// that TorchSharp 0.107's libLibTorchSharp.so needs. GCC 13 emits a call to it from every
// translation unit that includes <iostream>; its job is to construct the standard streams,
// which a static std::ios_base::Init does on older libstdc++ as well.
#include <ios>

namespace std {
void ios_base_library_init() { static ios_base::Init init; }
}

// Issue 5: being written.

namespace varsam {}  // namespace varsam

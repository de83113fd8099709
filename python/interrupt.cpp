// Ctrl-C while the GIL is released (bindings.hpp, InterruptGuard). Guards may nest or overlap
// on several threads: the first installs the handler, the last puts Python's back.
#include <csignal>
#include <mutex>

#include "bindings.hpp"

namespace ransim::python {

namespace {

std::atomic<int> g_signal{0};
std::mutex g_mutex;
int g_guards = 0;
struct sigaction g_previous {};

extern "C" void on_sigint(int sig) { g_signal.store(sig); }

}  // namespace

InterruptGuard::InterruptGuard() {
  std::lock_guard lock(g_mutex);
  if (g_guards++ == 0) {
    g_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &g_previous);
    if (g_previous.sa_handler == SIG_IGN) sigaction(SIGINT, &g_previous, nullptr);  // stays ignored
  }
  active_ = true;
}

const std::atomic<int>* InterruptGuard::flag() const { return &g_signal; }

void InterruptGuard::restore() {
  if (!active_) return;
  active_ = false;
  std::lock_guard lock(g_mutex);
  if (--g_guards == 0) sigaction(SIGINT, &g_previous, nullptr);
}

void InterruptGuard::raise_if_requested() {
  const bool caught = requested();
  restore();
  if (!caught) return;
  PyErr_SetInterrupt();  // as if the signal came now, with Python's handler in place
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace ransim::python

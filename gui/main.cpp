// ransim-gui: the Qt 6 front end. Everything but this file is in libransim_gui (gui/src).
#include "app.hpp"

int main(int argc, char** argv) { return ransim::gui::run_app(argc, argv); }

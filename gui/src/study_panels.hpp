#pragma once
// The readout panel, the compare panel and the scenario editor as docks of the main window
// (issue 22, parts 4-6), wired to its controller and its Messages.
#include <QString>

namespace ransim::gui {

class MainWindow;
class ReadoutPanel;
class ComparePanel;
class ScenarioEditor;

// Adds the three docks ("dock-readout-panel", "dock-compare", "dock-scenario-editor"), tabbed
// behind the parameters and the heatmap.
void install_study_panels(MainWindow& w);

ReadoutPanel* readout_panel(const MainWindow& w);
ComparePanel* compare_panel(const MainWindow& w);
ScenarioEditor* scenario_editor(const MainWindow& w);

// A compare config opened as a scenario: loaded into the compare panel, which is shown.
// False (nothing changed) when the panel refuses the config.
bool offer_compare_panel(MainWindow& w, const QString& path);

}  // namespace ransim::gui

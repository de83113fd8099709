// Issue 22, part 3: each view exports PNG, SVG and CSV of what it shows; the default folder
// is a user folder, not the source tree.
#include <QFile>
#include <QImage>
#include <QtCharts/QLineSeries>

#include <cmath>

#include "gui_test_util.hpp"
#include "main_window.hpp"
#include "token_history.hpp"
#include "unit_list_model.hpp"
#include "views.hpp"

using namespace ransim;
using namespace ransim::gui;

namespace {

NetworkDesc network() {
  NetworkDesc n;
  n.session = 3;
  PopulationDesc p{"res", "leaky", 3, 1, {}, {}};
  p.variables = {{"state", "1", "", {3}}};
  n.populations = {p};
  return n;
}

// Tokens 0..n-1, entry v = v + k / 100.
void fill(TokenHistory& t, const NetworkDesc& n, std::size_t tokens) {
  t.reset(n.session, values_per_token(n));
  TokenChunk c;
  c.session = n.session;
  c.tracks.push_back({0, "state", 3, {}, {}});
  for (std::size_t k = 0; k < tokens; ++k) {
    const double row[3] = {k / 100.0, 1 + k / 100.0, 2 + k / 100.0};
    c.tracks[0].add(k, row);
  }
  t.append(c);
}

QString read(const QString& path) {
  QFile f(path);
  f.open(QIODevice::ReadOnly);
  return QString::fromUtf8(f.readAll());
}

}  // namespace

class TestGuiExport : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void tracesExportAsPngSvgCsv() {
    QTemporaryDir dir;
    const NetworkDesc n = network();
    TokenHistory tokens;
    fill(tokens, n, 40);
    FrameHistory frames;
    frames.reset(n.session);
    TracesView v;
    v.attach(&frames, &tokens);
    v.setNetwork(&n);
    v.units()->checkOnly({0, 2});
    v.resize(600, 300);
    v.show();
    v.refresh();
    QVERIFY(v.exportTo(dir.filePath("t.png")));
    const QImage img(dir.filePath("t.png"));
    QCOMPARE(img.size(), v.size());
    QVERIFY(v.exportTo(dir.filePath("t.svg")));
    const QString svg = read(dir.filePath("t.svg"));
    QVERIFY(svg.startsWith("<svg"));
    QCOMPARE(svg.count("<polyline"), 2);
    QVERIFY(v.exportTo(dir.filePath("t.csv")));
    // 40 tokens fit the plot: one row per token, the values as recorded (entry v = v + k/100).
    const QStringList rows = read(dir.filePath("t.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(rows.size(), 41);
    QCOMPARE(rows[0], QString("token,unit 0,unit 2"));
    const QStringList r7 = rows[8].split(',');
    QCOMPARE(r7[0].toDouble(), 7.0);
    QCOMPARE(r7[1].toDouble(), 0.07);
    QCOMPARE(r7[2].toDouble(), 2.07);
    QString error;
    QVERIFY(!v.exportTo(dir.filePath("t.xyz"), &error));
    QVERIFY(error.contains("unknown format"));
  }

  void heatmapExportsItsMatrix() {
    QTemporaryDir dir;
    const NetworkDesc n = network();
    TokenHistory tokens;
    fill(tokens, n, 30);
    FrameHistory frames;
    frames.reset(n.session);
    ActivityHeatmapView v;
    v.attach(&frames, &tokens);
    v.setNetwork(&n);
    v.resize(600, 300);
    v.refresh();
    QVERIFY(v.exportTo(dir.filePath("h.csv")));
    const QStringList rows = read(dir.filePath("h.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(rows.size(), 4);                                   // header + 3 entries
    QCOMPARE(rows[0].split(',').size(), 31);                    // 30 tokens fit: one column each
    QCOMPARE(rows[2].split(',')[5].toDouble(), 1 + 4 / 100.0);  // entry 1, token 4
    QVERIFY(v.exportTo(dir.filePath("h.svg")));
    QVERIFY(read(dir.filePath("h.svg")).contains("data:image/png;base64,"));
  }

  void defaultFolderIsAUserFolder() {
    const QString d = MainWindow::userDataDir();
    QVERIFY(!d.startsWith(QString(RANSIM_SOURCE_DIR)));
    QVERIFY(d.endsWith("/ransim"));
  }
};

QTEST_MAIN(TestGuiExport)
#include "test_gui_export.moc"

#include "view_export.hpp"

#include <QBuffer>
#include <QFile>
#include <QTextStream>

#include <cmath>
#include <map>

namespace ransim::gui {

namespace {
QString esc(const QString& s) { return s.toHtmlEscaped(); }
QString num(double v) { return std::isfinite(v) ? QString::number(v, 'g', 17) : QString(); }
constexpr int kW = 800, kH = 450, kLeft = 70, kRight = 160, kTop = 36, kBottom = 50;
}  // namespace

QString chart_svg(const QString& title, const QString& xlabel, const QString& ylabel,
                  const std::vector<ExportLine>& lines, double x0, double x1, double y0, double y1) {
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return kTop + (y1 - y) / (y1 - y0) * ph; };
  QString s;
  QTextStream o(&s);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
       "fill=\"white\"/>\n";
  o << "<text x=\"" << kLeft << "\" y=\"20\" font-weight=\"bold\">" << esc(title) << "</text>\n";
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    o << "<polyline fill=\"none\" stroke-width=\"1\" stroke=\"" << lines[i].colour.name() << "\" points=\"";
    for (auto& [x, y] : lines[i].points)
      if (std::isfinite(y)) o << px(x) << "," << py(y) << " ";
    o << "\"/>\n";
    const double ly = kTop + 16.0 * static_cast<double>(i) + 8;
    o << "<line x1=\"" << kW - kRight + 10 << "\" x2=\"" << kW - kRight + 28 << "\" y1=\"" << ly << "\" y2=\""
      << ly << "\" stroke=\"" << lines[i].colour.name() << "\" stroke-width=\"2\"/>\n";
    o << "<text x=\"" << kW - kRight + 32 << "\" y=\"" << ly + 4 << "\">" << esc(lines[i].name)
      << "</text>\n";
  }
  const double bottom = kTop + ph;
  o << "<text x=\"" << kLeft << "\" y=\"" << bottom + 16 << "\">" << num(x0) << "</text>\n";
  o << "<text x=\"" << kLeft + pw << "\" y=\"" << bottom + 16 << "\" text-anchor=\"end\">" << num(x1)
    << "</text>\n";
  o << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << bottom + 36 << "\" text-anchor=\"middle\">"
    << esc(xlabel) << "</text>\n";
  o << "<text x=\"" << kLeft - 6 << "\" y=\"" << kTop + 10 << "\" text-anchor=\"end\">" << num(y1)
    << "</text>\n";
  o << "<text x=\"" << kLeft - 6 << "\" y=\"" << bottom << "\" text-anchor=\"end\">" << num(y0)
    << "</text>\n";
  o << "<text transform=\"translate(16," << kTop + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << esc(ylabel) << "</text>\n</svg>\n";
  return s;
}

QString image_svg(const QString& title, const QImage& img, const QString& xlabel, const QString& left,
                  const QString& right, const QString& ylabel) {
  QByteArray png;
  QBuffer buf(&png);
  buf.open(QIODevice::WriteOnly);
  img.save(&buf, "PNG");
  const double pw = kW - kLeft - 40, ph = kH - kTop - kBottom;
  QString s;
  QTextStream o(&s);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
       "fill=\"white\"/>\n";
  o << "<text x=\"" << kLeft << "\" y=\"20\" font-weight=\"bold\">" << esc(title) << "</text>\n";
  o << "<image x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,"
    << png.toBase64() << "\"/>\n";
  const double bottom = kTop + ph;
  o << "<text x=\"" << kLeft << "\" y=\"" << bottom + 16 << "\">" << esc(left) << "</text>\n";
  o << "<text x=\"" << kLeft + pw << "\" y=\"" << bottom + 16 << "\" text-anchor=\"end\">" << esc(right)
    << "</text>\n";
  o << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << bottom + 36 << "\" text-anchor=\"middle\">"
    << esc(xlabel) << "</text>\n";
  o << "<text transform=\"translate(16," << kTop + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << esc(ylabel) << "</text>\n</svg>\n";
  return s;
}

QString lines_csv(const QString& xname, const std::vector<ExportLine>& lines) {
  // Rows keyed by (x, occurrence): an envelope column's two points stay two rows.
  std::map<std::pair<double, int>, std::vector<double>> rows;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::map<double, int> seen;
    for (auto& [x, y] : lines[i].points) {
      auto& r = rows[{x, seen[x]++}];
      r.resize(lines.size(), std::nan(""));
      r[i] = y;
    }
  }
  QString s = xname;
  for (auto& l : lines) s += "," + l.name;
  s += "\n";
  for (auto& [key, r] : rows) {
    s += num(key.first);
    for (double v : r) s += "," + num(v);
    s += "\n";
  }
  return s;
}

QString matrix_csv(const Matrix& m, const QStringList& column_labels, const QString& row_name) {
  QString s = row_name;
  for (std::size_t c = 0; c < m.cols; ++c)
    s += "," + (static_cast<qsizetype>(c) < column_labels.size() ? column_labels[static_cast<qsizetype>(c)]
                                                                 : QString::number(c));
  s += "\n";
  for (std::size_t r = 0; r < m.rows; ++r) {
    s += QString::number(r);
    for (std::size_t c = 0; c < m.cols; ++c) s += "," + num(m.at(r, c));
    s += "\n";
  }
  return s;
}

bool write_text(const QString& path, const QString& text, QString* error) {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
    if (error) *error = path + ": " + f.errorString();
    return false;
  }
  f.write(text.toUtf8());
  return true;
}

}  // namespace ransim::gui

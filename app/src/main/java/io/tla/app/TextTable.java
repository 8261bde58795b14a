package io.tla.app;

import java.io.PrintWriter;
import java.util.List;

/** A plain-text table for terminal output: columns padded to their widest cell, two spaces apart. */
final class TextTable {

    private TextTable() {
    }

    /** Prints {@code rows} (the first is the header); the last column is not padded. */
    static void print(PrintWriter out, List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}

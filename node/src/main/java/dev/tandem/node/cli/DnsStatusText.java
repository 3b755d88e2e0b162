package dev.tandem.node.cli;

import java.util.List;
import java.util.Map;

/**
 * The {@code dns} section of {@code /status} as {@code tandem status} prints it: one row per record (what the
 * server holds, which nodes that is, the zone's serial, the last change this node made), then a line per record
 * whose update is failing, with its retry.
 */
final class DnsStatusText {

    private DnsStatusText() {
    }

    static String render(Object section) {
        if (!(section instanceof List<?> records)) {
            return "";
        }
        StringBuilder head = new StringBuilder("dns       ").append(records.size())
                .append(records.size() == 1 ? " record" : " records").append('\n');
        int[] width = {6, 4, 3, 13, 7, 6};
        String[][] rows = new String[records.size() + 1][];
        rows[0] = new String[]{"RECORD", "MODE", "TTL", "AT THE SERVER", "HOLDERS", "SERIAL", "LAST CHANGE (THIS NODE)"};
        for (int i = 0; i < records.size(); i++) {
            Map<?, ?> r = records.get(i) instanceof Map<?, ?> m ? m : Map.of();
            String change = text(r.get("last_change"));
            rows[i + 1] = new String[]{text(r.get("record")), text(r.get("mode")), text(r.get("ttl_seconds")) + "s",
                    join(r.get("addresses")), join(r.get("published")), text(r.get("serial")),
                    change.equals("-") || change.isEmpty() ? "none" : text(r.get("last_change_at")) + " " + change};
        }
        for (String[] row : rows) {
            for (int c = 0; c < width.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(row[c]);
                if (c < width.length) {
                    line.append(" ".repeat(width[c] - row[c].length() + 2));
                }
            }
            head.append(line.toString().stripTrailing()).append('\n');
        }
        for (Object o : records) {
            Map<?, ?> r = o instanceof Map<?, ?> m ? m : Map.of();
            if (Boolean.TRUE.equals(r.get("updating"))) {
                head.append("updating  ").append(text(r.get("record"))).append(": an update is in flight\n");
            }
            String error = text(r.get("last_error"));
            if (!error.isEmpty() && !error.equals("-")) {
                Object failures = r.get("failures");
                head.append("failing   ").append(text(r.get("record"))).append(": ").append(error);
                if (failures instanceof Number n && n.intValue() > 0) {
                    head.append(" (").append(n).append(n.intValue() == 1 ? " update failed" : " updates failed in a row");
                    head.append(r.get("retry_at") == null ? ")" : ", decided again at " + text(r.get("retry_at")) + ")");
                }
                head.append('\n');
            }
        }
        return head.toString();
    }

    private static String join(Object o) {
        if (!(o instanceof List<?> l) || l.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (Object x : l) {
            b.append(b.length() == 0 ? "" : " ").append(x);
        }
        return b.toString();
    }

    private static String text(Object o) {
        return o == null ? "-" : String.valueOf(o);
    }
}

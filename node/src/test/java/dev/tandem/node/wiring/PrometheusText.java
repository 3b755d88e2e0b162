package dev.tandem.node.wiring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must be a
 * {@code # HELP}, a {@code # TYPE}, a comment, or a sample {@code name{label="value",...} number}; each
 * family is declared once, before its samples; sample names match their family (with {@code _bucket},
 * {@code _sum}, {@code _count} for histograms and summaries); histogram buckets carry a numeric, growing
 * {@code le} ending in {@code +Inf} whose count equals {@code _count}. Anything else throws.
 */
public final class PrometheusText {

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

    private PrometheusText() {
    }

    public static Map<String, Family> parse(String text) {
        Map<String, Family> families = new LinkedHashMap<>();
        Map<String, String> help = new HashMap<>();
        Family current = null;
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ")) {
                String[] p = line.substring(7).split(" ", 2);
                help.put(p[0], p.length > 1 ? p[1] : "");
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] p = line.substring(7).split(" ");
                check(p.length == 2 && NAME.matcher(p[0]).matches(), n, line, "bad TYPE line");
                check(List.of("counter", "gauge", "histogram", "summary", "untyped").contains(p[1]), n, line, "unknown type");
                check(!families.containsKey(p[0]), n, line, "family declared twice");
                current = new Family(p[0], p[1], help.get(p[0]), new ArrayList<>());
                families.put(p[0], current);
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Sample s = sample(line, n);
            check(current != null && belongs(current, s.name()), n, line, "sample outside its family");
            current.samples().add(s);
        }
        families.values().forEach(PrometheusText::checkHistogram);
        return families;
    }

    private static boolean belongs(Family f, String name) {
        if (name.equals(f.name())) {
            return !f.type().equals("histogram");
        }
        if (f.type().equals("histogram") || f.type().equals("summary")) {
            return name.equals(f.name() + "_sum") || name.equals(f.name() + "_count")
                    || (f.type().equals("histogram") && name.equals(f.name() + "_bucket"));
        }
        return false;
    }

    private static Sample sample(String line, int n) {
        Matcher m = NAME.matcher(line);
        check(m.lookingAt(), n, line, "no metric name");
        String name = m.group();
        int i = m.end();
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            int close = line.indexOf("}", i);
            check(close > 0, n, line, "unclosed labels");
            String inner = line.substring(i + 1, close);
            Matcher lm = LABEL.matcher(inner);
            int at = 0;
            while (at < inner.length()) {
                check(lm.find(at) && lm.start() == at, n, line, "bad label at " + at);
                check(labels.put(lm.group(1), lm.group(2)) == null, n, line, "duplicate label");
                at = lm.end();
                if (at < inner.length()) {
                    check(inner.charAt(at) == ',', n, line, "expected ','");
                    at++;
                }
            }
            i = close + 1;
        }
        check(i < line.length() && line.charAt(i) == ' ', n, line, "expected a space before the value");
        String[] rest = line.substring(i + 1).split(" ");
        check(rest.length == 1 || rest.length == 2, n, line, "expected value [timestamp]");
        return new Sample(name, labels, number(rest[0], n, line));
    }

    private static double number(String s, int n, String line) {
        switch (s) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("line " + n + ": bad number: " + line);
                }
        }
    }

    /** Buckets of each series: growing le, ending in +Inf equal to _count, counts never falling. */
    private static void checkHistogram(Family f) {
        if (!f.type().equals("histogram")) {
            return;
        }
        Map<Map<String, String>, List<Sample>> bySeries = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new HashMap<>();
        for (Sample s : f.samples()) {
            Map<String, String> key = new HashMap<>(s.labels());
            key.remove("le");
            if (s.name().endsWith("_bucket")) {
                check(s.labels().containsKey("le"), 0, s.toString(), "bucket without le");
                bySeries.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
            } else if (s.name().endsWith("_count")) {
                counts.put(key, s.value());
            }
        }
        bySeries.forEach((key, buckets) -> {
            double le = Double.NEGATIVE_INFINITY;
            double count = 0;
            for (Sample b : buckets) {
                double bound = number(b.labels().get("le"), 0, b.toString());
                check(bound > le, 0, b.toString(), "le not growing");
                check(b.value() >= count, 0, b.toString(), "bucket count falls");
                le = bound;
                count = b.value();
            }
            check(le == Double.POSITIVE_INFINITY, 0, key.toString(), "no +Inf bucket");
            check(counts.containsKey(key) && counts.get(key) == count, 0, key.toString(), "+Inf bucket != _count");
        });
    }

    private static void check(boolean ok, int line, String text, String problem) {
        if (!ok) {
            throw new IllegalArgumentException("line " + line + ": " + problem + ": " + text);
        }
    }
}

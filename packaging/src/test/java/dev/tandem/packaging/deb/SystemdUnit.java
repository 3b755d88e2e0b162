package dev.tandem.packaging.deb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A systemd unit file read as sections of {@code Key=value} lines, a key possibly repeated, in order. */
public final class SystemdUnit {

    private static final Pattern SECONDS = Pattern.compile("(\\d+)(s|min)?");

    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private SystemdUnit() {
    }

    public static SystemdUnit read(Path file) throws IOException {
        SystemdUnit unit = new SystemdUnit();
        String section = "";
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IOException(file + ": not Key=value: " + raw);
            }
            unit.values.computeIfAbsent(section + "." + line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        return unit;
    }

    /** Every value of {@code key} in {@code section}, in order. */
    public List<String> all(String section, String key) {
        return values.getOrDefault(section + "." + key, List.of());
    }

    /** The one value of {@code key} in {@code section}. */
    public String one(String section, String key) {
        List<String> all = all(section, key);
        if (all.size() != 1) {
            throw new AssertionError("[" + section + "] " + key + ": expected one value, found " + all);
        }
        return all.get(0);
    }

    /** A time span written in whole seconds or minutes ({@code 60}, {@code 60s}, {@code 2min}). */
    public Duration seconds(String section, String key) {
        String v = one(section, key);
        Matcher m = SECONDS.matcher(v);
        if (!m.matches()) {
            throw new AssertionError("[" + section + "] " + key + "=" + v + ": not a number of seconds or minutes");
        }
        long n = Long.parseLong(m.group(1));
        return "min".equals(m.group(2)) ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
    }
}

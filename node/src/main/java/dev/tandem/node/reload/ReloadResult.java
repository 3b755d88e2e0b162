package dev.tandem.node.reload;

import dev.tandem.conf.ConfigError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one attempt to put a config in force.
 *
 * @param trigger what asked for it: {@code start}, {@code SIGHUP}, {@code file}, {@code api}, ...
 * @param outcome {@link Outcome#APPLIED}, {@link Outcome#REJECTED}, or {@link Outcome#UNCHANGED} when a
 *                file change left the text as it was
 * @param version the config version in force afterwards
 * @param hash    SHA-256 of the config text in force afterwards
 * @param errors  the config's {@code FILE:LINE:COL} errors when it did not validate
 * @param message one line for people: what happened, or why it was refused when there are no config errors
 *                (an unreadable file, an address that does not bind)
 */
public record ReloadResult(String trigger, Instant at, Outcome outcome, long version, String hash,
                           List<ConfigError> errors, String message) {

    public enum Outcome { APPLIED, UNCHANGED, REJECTED }

    public ReloadResult {
        errors = List.copyOf(errors);
    }

    public boolean ok() {
        return outcome != Outcome.REJECTED;
    }

    /** The JSON form used by {@code /status} and {@code POST /api/reload}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("result", ok() ? "ok" : "rejected");
        m.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
        m.put("trigger", trigger);
        m.put("at", at.toString());
        m.put("version", version);
        m.put("hash", hash);
        m.put("message", message);
        List<Object> list = new ArrayList<>();
        for (ConfigError e : errors) {
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("file", e.file());
            err.put("line", e.line());
            err.put("column", e.column());
            err.put("message", e.message());
            err.put("text", e.toString());
            list.add(err);
        }
        m.put("errors", list);
        return m;
    }
}

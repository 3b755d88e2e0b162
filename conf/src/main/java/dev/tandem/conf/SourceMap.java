package dev.tandem.conf;

import java.util.Map;

/**
 * Where each value of a config file was written, by its dotted path ({@code cluster.secret_file},
 * {@code listeners[0].tls.certificates[1].key}). Checks that run after parsing (does the secret file
 * exist, does a certificate load) use it to report {@code FILE:LINE:COL: message} like the parser does.
 */
public final class SourceMap {

    /** For configs built without a file. */
    public static final SourceMap EMPTY = new SourceMap("<config>", Map.of());

    private final String file;
    private final Map<String, int[]> positions;

    /** @param positions 1-based {line, column} by dotted path */
    public SourceMap(String file, Map<String, int[]> positions) {
        this.file = file;
        this.positions = Map.copyOf(positions);
    }

    public String file() {
        return file;
    }

    /**
     * An error about the value at {@code path}, placed at that value, or at the nearest enclosing value
     * that was written, or at 1:1.
     */
    public ConfigError error(String path, String message) {
        String p = path;
        while (true) {
            int[] at = positions.get(p);
            if (at != null) {
                return new ConfigError(file, at[0], at[1], message);
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return new ConfigError(file, 1, 1, message);
            }
            p = p.substring(0, cut);
        }
    }
}

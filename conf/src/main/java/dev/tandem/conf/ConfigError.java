package dev.tandem.conf;

/**
 * One problem in a config file, printed as {@code FILE:LINE:COL: message} (1-based line and column).
 */
public record ConfigError(String file, int line, int column, String message) implements Comparable<ConfigError> {

    @Override
    public int compareTo(ConfigError o) {
        int c = Integer.compare(line, o.line);
        return c != 0 ? c : Integer.compare(column, o.column);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}

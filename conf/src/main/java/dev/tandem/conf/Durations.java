package dev.tandem.conf;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written in the config: a whole number with a unit, {@code 100ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 365d}. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * Parses a duration. A bare number is refused: {@code timeout: 5} is as likely to mean milliseconds as
     * seconds, so the unit is required.
     *
     * @throws IllegalArgumentException with a message of the form {@code value (expected: ...)}
     */
    public static Duration parse(String text) {
        String s = text.trim();
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException(text + " (expected: a duration with a unit, e.g. " + s + "s or " + s + "ms)");
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(text + " (expected: a duration such as 100ms, 2s, 5m or 1h)");
        }
        long amount = Long.parseLong(m.group(1));
        try {
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(text + " (expected: a duration such as 100ms, 2s, 5m or 1h)");
        }
    }
}

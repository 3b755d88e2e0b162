package dev.tandem.conf;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as written in the config: {@code 16384}, {@code 16k}, {@code 30m}, {@code 1g} (binary multiples). */
public final class Sizes {

    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})([kmg]?)");

    private Sizes() {
    }

    /**
     * Parses a size; the suffix is case-insensitive and means 1024, 1024² or 1024³.
     *
     * @throws IllegalArgumentException with a message of the form {@code value (expected: ...)}
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(text + " (expected: a size such as 16384, 16k, 30m or 1g)");
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        try {
            long amount = Long.parseLong(m.group(1));
            if (amount > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return amount << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(text + " (expected: a size below 8 exabytes)");
        }
    }
}

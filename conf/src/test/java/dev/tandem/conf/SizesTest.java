package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void plainAndBinaryMultiples() {
        assertEquals(16384, Sizes.parse("16384"));
        assertEquals(16 * 1024, Sizes.parse("16k"));
        assertEquals(30L * 1024 * 1024, Sizes.parse("30m"));
        assertEquals(1L << 30, Sizes.parse("1g"));
        assertEquals(1L << 30, Sizes.parse("1G"));
        assertEquals(2048, Sizes.parse("2K"));
        assertEquals(0, Sizes.parse("0"));
        assertEquals(8589934591L << 30, Sizes.parse("8589934591g"), "the largest number of gigabytes a long holds");
    }

    @Test
    void malformed() {
        for (String bad : new String[] {"", "k", "16kb", "1.5m", "-1", "16 k", "1t", "0x10"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
            assertEquals(bad + " (expected: a size such as 16384, 16k, 30m or 1g)", e.getMessage());
        }
    }

    @Test
    void overflowIsRefusedNotWrapped() {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("8589934592g"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("9223372036854775808"));
        assertEquals(Long.MAX_VALUE, Sizes.parse("9223372036854775807"));
    }
}

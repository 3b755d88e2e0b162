package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config file's rejections: reported once per content, ended by the file's return, refusals until an install. */
class ConfigVerdictsTest {

    private static final EntryKey CONFIG = new EntryKey("tandem.yaml", "");
    private static final String H1 = "1".repeat(64);
    private static final String H2 = "2".repeat(64);

    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final ConfigVerdicts verdicts = new ConfigVerdicts("lb1", clock);

    @Test
    void anInvalidEditIsNewsOncePerContent() {
        assertTrue(verdicts.rejectLocal("/etc/tandem/tandem.yaml", H1, List.of("t.yaml:1:1: bad")));
        assertEquals(now, verdicts.rejected().at());
        assertEquals("lb1", verdicts.rejected().from());
        assertTrue(verdicts.rejectedBefore(H1));
        now = now.plusSeconds(30);
        assertFalse(verdicts.rejectLocal("/etc/tandem/tandem.yaml", H1, List.of("t.yaml:1:1: bad")), "the same content");
        assertEquals(now.minusSeconds(30), verdicts.rejected().at(), "reported when it was first seen");
        assertTrue(verdicts.rejectLocal("/etc/tandem/tandem.yaml", H2, List.of("t.yaml:2:1: worse")), "another content");
        assertFalse(verdicts.rejectedBefore(H1));
        assertEquals(now, verdicts.rejected().at());
    }

    @Test
    void theRejectionEndsWhenTheEditIsGone() {
        assertFalse(verdicts.localSettled(), "nothing was rejected");
        verdicts.rejectLocal("/etc/tandem/tandem.yaml", "", List.of("deleted"));
        assertTrue(verdicts.localSettled());
        assertNull(verdicts.rejected());
        assertFalse(verdicts.rejectedBefore(""));
        assertTrue(verdicts.rejectLocal("/etc/tandem/tandem.yaml", "", List.of("deleted")), "news again after it ended");
    }

    @Test
    void aRefusedVersionIsNotAskedForAgainUntilSomethingIsInstalled() {
        verdicts.refuseReceived(CONFIG, "/etc/tandem/tandem.yaml", H1, List.of("t.yaml:3:1: no such certificate"), "lb2");
        assertEquals(H1, verdicts.refusedBefore(CONFIG));
        assertEquals("lb2", verdicts.refused().from());
        verdicts.installed(false);
        assertNull(verdicts.refusedBefore(CONFIG), "a certificate came: the config may validate now");
        assertEquals("lb2", verdicts.refused().from(), "still shown until a config is installed");
        verdicts.installed(true);
        assertNull(verdicts.refused());
    }
}

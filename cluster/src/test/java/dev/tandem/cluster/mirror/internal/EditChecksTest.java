package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tandem.cluster.mirror.internal.EditChecks.BeforeRead;
import dev.tandem.cluster.mirror.internal.EditChecks.Link;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The checks a file edited here passes before it becomes a version, on plain facts. */
class EditChecksTest {

    private static final EntryKey KEY = new EntryKey("www", "a.txt");
    private static final Path KEY_FILE = Path.of("/etc/tandem/tls/site.key");

    /** A fact the branch must not ask for (it costs a read, and is not this branch's). */
    private static <T> Supplier<T> notAsked() {
        return () -> {
            throw new AssertionError("asked for a fact this branch does not need");
        };
    }

    @Test
    void aLinkIsJudgedOnItsTargetBeforeAnyLimitAndIsNeverRead() {
        assertEquals(BeforeRead.LINK, EditChecks.beforeRead(true, true, false, 10));
        assertEquals(BeforeRead.LINK, EditChecks.beforeRead(true, false, true, 10));
    }

    @Test
    void aFileOverALimitIsRefusedUnread() {
        assertEquals(BeforeRead.OVER_LIMIT, EditChecks.beforeRead(false, true, false, 1L << 40));
        assertEquals(BeforeRead.OVER_LIMIT, EditChecks.beforeRead(false, true, true, 10), "the config too");
        assertEquals(BeforeRead.HASH, EditChecks.beforeRead(false, false, false, 1L << 40));
    }

    @Test
    void theConfigIsReadWholeUnlessTooLargeToBeOne() {
        assertEquals(BeforeRead.READ_CONFIG, EditChecks.beforeRead(false, false, true, EditChecks.MAX_CONFIG_BYTES));
        assertEquals(BeforeRead.CONFIG_TOO_LARGE, EditChecks.beforeRead(false, false, true,
                EditChecks.MAX_CONFIG_BYTES + 1L));
        assertEquals("/etc/tandem/tandem.yaml: 16777217 bytes (expected: a config file of at most 16777216 bytes)",
                EditChecks.configTooLarge(Path.of("/etc/tandem/tandem.yaml"), EditChecks.MAX_CONFIG_BYTES + 1L));
    }

    @Test
    void aLinkOutsideTheMirroredPathsIsRefusedAndTheSameLinkIsNoEdit() {
        Entry recorded = Entry.link(KEY, null, "b", 1, "../archive/cert1.pem", "root", "root");
        assertEquals(Link.REFUSED, EditChecks.link("a link to /etc/shadow", recorded, "/etc/shadow", false));
        assertEquals(Link.SAME, EditChecks.link(null, recorded, "../archive/cert1.pem", false));
        assertEquals(Link.EDITED, EditChecks.link(null, recorded, "../archive/cert2.pem", false), "a certbot flip");
        assertEquals(Link.EDITED, EditChecks.link(null, recorded, "../archive/cert1.pem", true), "owners moved");
        assertEquals(Link.EDITED, EditChecks.link(null, null, "x", false), "a new link");
        Entry file = Entry.edit(KEY, null, "b", 1, "ab".repeat(32), 0644, 3);
        assertEquals(Link.EDITED, EditChecks.link(null, file, "x", false), "a file replaced by a link");
    }

    @Test
    void aConfigThatDoesNotValidateIsRejectedOnceAndNoPairIsAsked() {
        List<String> problems = List.of("tandem.yaml:3: 'listen' ...");
        assertEquals(new EditChecks.Rejected(problems),
                EditChecks.edited(true, false, () -> problems, notAsked(), true));
        assertEquals(new EditChecks.AlreadyRejected(), EditChecks.edited(true, true, notAsked(), notAsked(), true),
                "the same content again: not validated, not reported twice");
    }

    @Test
    void aValidConfigIsAnEditReloadedOnlyOnARunningNode() {
        assertEquals(new EditChecks.Edit(true, null), EditChecks.edited(true, false, List::of, notAsked(), true));
        assertEquals(new EditChecks.Edit(false, null), EditChecks.edited(true, false, List::of, notAsked(), false),
                "at start the node has just loaded it");
    }

    @Test
    void aCertificateGoesOnlyWithAPairThatPassesAndItsOtherHalf() {
        assertEquals(new EditChecks.Edit(false, KEY_FILE), EditChecks.edited(false, false, notAsked(),
                () -> new CertificatePairs.Local(false, KEY_FILE, null), true));
        assertEquals(new EditChecks.HeldPair(Duration.ofMillis(1500)), EditChecks.edited(false, false, notAsked(),
                () -> new CertificatePairs.Local(true, null, Duration.ofMillis(1500)), true),
                "its other half may be on its way: looked at again");
        assertEquals(new EditChecks.HeldPair(null), EditChecks.edited(false, false, notAsked(),
                () -> new CertificatePairs.Local(true, null, null), true), "reported bad: waits for the next edit");
        EditChecks.Verdict plain = EditChecks.edited(false, false, notAsked(),
                () -> CertificatePairs.Local.NOT_A_PAIR, true);
        assertEquals(new EditChecks.Edit(false, null), plain, "any other file");
        assertFalse(((EditChecks.Edit) plain).reloadConfig());
    }
}

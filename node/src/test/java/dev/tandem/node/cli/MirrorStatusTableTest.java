package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.MirrorStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The mirror's part of {@code tandem status}: paths, peers with a sync under way, conflicts, refused configs and paths. */
class MirrorStatusTableTest {

    @Test
    void aSyncUnderWayConflictsAndRefusedConfigsAreShown() {
        Instant t = Instant.parse("2026-01-02T03:04:05Z");
        MirrorStatus status = new MirrorStatus("lb1", null,
                List.of(new MirrorStatus.PathStatus("www", "/var/www", true, 7, "lb2", "ab".repeat(32), 4210, 431_000_000L,
                        t, Map.of("lb2", new MirrorStatus.PathSync(false, t)), List.of("/var/www/index.html.conflict-lb1-6"))),
                List.of(new MirrorStatus.PeerStatus("lb2", true, true, false, t, 12.5,
                        new MirrorStatus.Progress(4210, 10_000, 431_000_000L, 1_024_000_000L))),
                List.of(new MirrorStatus.ConflictStatus("/var/www/index.html", "/var/www/index.html.conflict-lb1-6", "6@lb1",
                        "6@lb2", t)),
                null,
                new MirrorStatus.Rejection("/etc/tandem/tandem.yaml", "cd".repeat(32),
                        List.of("/etc/tandem/tandem.yaml:12:7: upstream: 'wbe' (expected: one of web)"), t, "lb2"),
                List.of(), MirrorStatus.Behind.NONE,
                List.of(new MirrorStatus.Refusal("/var/www/big.iso", "file_too_large",
                                "2147483648 bytes, over the limit of 1073741824 bytes a file (cluster.mirror.limits.file_size)", null, t),
                        new MirrorStatus.Refusal("/etc/tandem/certs/live/x/cert.pem", "link_outside",
                                "a link to /etc/ssl/x.pem, outside the mirrored paths", "lb2", t)));
        String table = StatusCommand.StatusTable.render(Map.of("mirror", status.toTree()));
        assertTrue(table.contains("mirror    first sync: under way (elections wait)"), table);
        assertTrue(table.contains("/var/www/"), table);
        assertTrue(table.contains("7@lb2"), table);
        assertTrue(table.contains("lb2=differs (last 2026-01-02T03:04:05Z)"), table);
        assertTrue(table.contains("peer      lb2: sending, receiving, lag 12.5 s, receiving 4210/10000 files, "
                + "431000000/1024000000 bytes"), table);
        assertTrue(table.contains("conflict  /var/www/index.html: 6@lb1 lost to 6@lb2, kept as /var/www/index.html.conflict-lb1-6"),
                table);
        assertTrue(table.contains("config    /etc/tandem/tandem.yaml received, not valid here: refused (lb2, 2026-01-02T03:04:05Z)"),
                table);
        assertTrue(table.contains("          /etc/tandem/tandem.yaml:12:7: upstream: 'wbe' (expected: one of web)"), table);
        assertTrue(table.contains("refused   /var/www/big.iso: 2147483648 bytes, over the limit of 1073741824 bytes a file "
                + "(cluster.mirror.limits.file_size) (made here: not sent)"), table);
        assertTrue(table.contains("refused   /etc/tandem/certs/live/x/cert.pem: a link to /etc/ssl/x.pem, outside the mirrored "
                + "paths (from lb2: not applied)"), table);
    }

    @Test
    void aHeldDeletionAndBeingBehindAreShown() {
        Instant t = Instant.parse("2026-01-02T03:04:05Z");
        MirrorStatus status = new MirrorStatus("lb1", "synced with lb2", List.of(), List.of(), List.of(), null, null,
                List.of(new MirrorStatus.HeldDeletion("www", "/var/www", 20, 20, "here", t, List.of("/var/www/a.html"))),
                new MirrorStatus.Behind(true, 3, 3000, List.of("lb2")));
        String table = StatusCommand.StatusTable.render(Map.of("mirror", status.toTree()));
        assertTrue(table.contains("held      /var/www: 20 of 20 files deleted at once here, held since 2026-01-02T03:04:05Z"
                + " (tandem mirror confirm|restore /var/www)"), table);
        assertTrue(table.contains("behind    3 files, 3000 bytes to come from [lb2]: no preempting until caught up"), table);
    }

    @Test
    void aHeldCertificatePairIsShown() {
        Instant t = Instant.parse("2026-01-02T03:04:05Z");
        MirrorStatus status = new MirrorStatus("lb1", "synced with lb2", List.of(), List.of(), List.of(), null, null,
                List.of(), MirrorStatus.Behind.NONE, List.of(), List.of(new MirrorStatus.HeldPair("/etc/tandem/certs/a.pem",
                        "/etc/tandem/certs/a.key", "lb2", t, List.of("/etc/tandem/certs/a.key: does not match"))));
        String table = StatusCommand.StatusTable.render(Map.of("mirror", status.toTree()));
        assertTrue(table.contains("held      /etc/tandem/certs/a.pem + /etc/tandem/certs/a.key: the pair does not pass the"
                + " check, from lb2: neither is written, held since 2026-01-02T03:04:05Z\n"
                + "          /etc/tandem/certs/a.key: does not match"), table);
    }
}

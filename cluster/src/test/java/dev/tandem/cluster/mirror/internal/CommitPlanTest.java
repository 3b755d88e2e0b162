package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.cluster.mirror.internal.CommitPlan.Apply;
import dev.tandem.cluster.mirror.internal.CommitPlan.Applying;
import dev.tandem.cluster.mirror.internal.CommitPlan.Install;
import dev.tandem.cluster.mirror.internal.CommitPlan.Installing;
import dev.tandem.cluster.mirror.internal.CommitPlan.KeepLocal;
import dev.tandem.cluster.mirror.internal.CommitPlan.Plan;
import dev.tandem.cluster.mirror.internal.CommitPlan.Step;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What becomes of a received file, against the version here when it is complete. */
class CommitPlanTest {

    @Test
    void aVersionHereThatIncludesItLeavesNothingToWrite() {
        assertEquals(new Plan(Step.DISCARD, KeepLocal.NONE), CommitPlan.of(Resolution.KEEP, false, false, true, false));
        assertEquals(new Plan(Step.ADOPT, KeepLocal.NONE), CommitPlan.of(Resolution.ADOPT, false, false, true, false));
    }

    @Test
    void aLoserIsKeptBesideTheFileOnce() {
        assertEquals(new Plan(Step.SAVE_AS_CONFLICT, KeepLocal.NONE),
                CommitPlan.of(Resolution.KEEP_SAVE_REMOTE, false, false, true, false));
        assertEquals(new Plan(Step.CONFLICT_ALREADY_KEPT, KeepLocal.NONE),
                CommitPlan.of(Resolution.KEEP_SAVE_REMOTE, true, false, true, false));
    }

    @Test
    void aWinnerIsInstalledAndWhatItReplacesIsKeptWhenItIsNoOlderVersion() {
        assertEquals(new Plan(Step.INSTALL, KeepLocal.NONE), CommitPlan.of(Resolution.TAKE, false, false, true, false),
                "an update: the version here is older");
        assertEquals(new Plan(Step.INSTALL, KeepLocal.LOSER), CommitPlan.of(Resolution.TAKE_KEEP_LOCAL, false, false, true, false));
        assertEquals(new Plan(Step.INSTALL, KeepLocal.INVALID_EDIT), CommitPlan.of(Resolution.TAKE, false, true, true, false),
                "an invalid config edit here is no version, and is kept");
        assertEquals(new Plan(Step.INSTALL, KeepLocal.INVALID_EDIT),
                CommitPlan.of(Resolution.TAKE_KEEP_LOCAL, false, true, true, false), "(the edit on disk is the newer)");
        assertEquals(new Plan(Step.INSTALL, KeepLocal.NONE), CommitPlan.of(Resolution.TAKE, false, true, false, false),
                "an invalid edit no longer on disk: nothing to keep");
        assertEquals(new Plan(Step.INSTALL, KeepLocal.WITHOUT_HISTORY), CommitPlan.of(Resolution.TAKE, false, false, true, true),
                "a file without a version, another content: the cluster's wins, it is kept");
    }

    private static final EntryKey KEY = new EntryKey("www", "site.crt");
    private static final String H1 = "1".repeat(64);
    private static final String H2 = "2".repeat(64);

    /** A fact the branch must not ask for (it costs a read, and is not this branch's). */
    private static <T> CommitPlan.Fact<T> notAsked() {
        return () -> {
            throw new AssertionError("asked for a fact this branch does not need");
        };
    }

    private static CommitPlan.Installing<String> install(boolean config, CommitPlan.Fact<List<String>> problems,
                                                         CommitPlan.Fact<CertificatePairs.Received<String>> pair)
            throws IOException {
        return CommitPlan.install(config, problems, pair);
    }

    @Test
    void aConfigIsInstalledOnlyOnceItValidatesAndElseParked() throws IOException {
        List<String> problems = List.of("tandem.yaml:4: 'cert': no such file");
        assertEquals(new Installing<String>(Install.PARK, problems, null), install(true, () -> problems, notAsked()),
                "it may validate once the rest of the round is in (the certificate it names)");
        assertEquals(new Installing<String>(Install.INSTALL, List.of(), null), install(true, List::of, notAsked()));
    }

    @Test
    void aCertificateAndItsKeyAreWrittenTogetherOrNotAtAll() throws IOException {
        List<String> errors = List.of("site.key does not match site.crt");
        assertEquals(new Installing<String>(Install.HOLD_HALF, errors, null), install(false, notAsked(),
                () -> new CertificatePairs.Received<>(CertificatePairs.Action.HOLD, null, errors)),
                "the other half may come in the same round");
        assertEquals(new Installing<>(Install.REFUSE_PAIR, errors, "the key held"), install(false, notAsked(),
                () -> new CertificatePairs.Received<>(CertificatePairs.Action.REFUSE, "the key held", errors)),
                "both halves dropped");
        assertEquals(new Installing<>(Install.INSTALL_WITH_PARTNER, List.of(), "the key held"), install(false, notAsked(),
                () -> new CertificatePairs.Received<>(CertificatePairs.Action.INSTALL, "the key held", List.of())));
        assertEquals(new Installing<String>(Install.INSTALL, List.of(), null), install(false, notAsked(),
                () -> new CertificatePairs.Received<>(CertificatePairs.Action.INSTALL, null, List.of())),
                "not a pair, or a pair that passes with the other half on disk");
        assertEquals(new Installing<String>(Install.INSTALL, List.of(), null), install(false, notAsked(), () -> null),
                "no pairs checked here");
    }

    private static Entry edit(Entry previous, String node, String hash) {
        return Entry.edit(KEY, previous, node, 0, hash, 0644, 10);
    }

    @Test
    void aVersionWithoutContentIsNotAppliedOverAnEditThatWinsOrNeedsContent() throws IOException {
        Entry a1 = edit(null, "a", H1);
        Entry a2 = edit(a1, "a", H2);
        assertEquals(new Applying(Apply.NOTHING, false), CommitPlan.withoutContent(a2, a1, false, notAsked(), notAsked()),
                "the version here includes it");
        assertEquals(new Applying(Apply.NOTHING, false), CommitPlan.withoutContent(a1, a2, false, notAsked(), notAsked()),
                "another content: asked for, not applied");
        Entry b = edit(a1, "b", H2);
        Entry concurrentHere = edit(edit(a1, "c", H1), "c", H1.replace('1', '3'));
        assertEquals(new Applying(Apply.NOTHING, false),
                CommitPlan.withoutContent(concurrentHere, Entry.deletion(b, "b", 0), false, notAsked(), notAsked()),
                "a concurrent edit here that wins over the deletion: kept");
    }

    @Test
    void aDeletionIsRefusedForTheConfigAndThroughALinkAndKeepsALosingEditHere() throws IOException {
        Entry a1 = edit(null, "a", H1);
        Entry gone = Entry.deletion(a1, "b", 0);
        assertEquals(new Applying(Apply.DELETE, false), CommitPlan.withoutContent(a1, gone, false, () -> true, notAsked()));
        assertEquals(new Applying(Apply.REFUSE_CONFIG_DELETION, false),
                CommitPlan.withoutContent(a1, gone, true, notAsked(), notAsked()), "a config is not mirrored away");
        assertEquals(new Applying(Apply.UNSAFE_PATH, false),
                CommitPlan.withoutContent(a1, gone, false, () -> false, notAsked()), "never through a link");
        // concurrent: an edit here (version 1 of "a" after a1) and a deletion of "z" that wins on its version
        Entry here = edit(a1, "a", H2);
        Entry goneLater = Entry.deletion(Entry.deletion(a1, "z", 0), "z", 0);
        assertEquals(Resolution.TAKE_KEEP_LOCAL, Resolution.of(here, goneLater));
        assertEquals(new Applying(Apply.DELETE, true), CommitPlan.withoutContent(here, goneLater, false, () -> true, notAsked()),
                "the losing edit here is kept as a conflict copy");
        assertEquals(new Applying(Apply.DELETE, false), CommitPlan.withoutContent(null, gone, false, () -> true, notAsked()),
                "a file with no version here that a peer deleted (first sync): deleted, nothing to keep");
    }

    @Test
    void aLinkIsMadeUnlessItLeavesTheMirroredPathsAndTheSameContentTakesTheModeOnly() throws IOException {
        Entry a1 = edit(null, "a", H1);
        Entry live = Entry.link(KEY, a1, "b", 0, "../archive/cert2.pem", "", "");
        assertEquals(new Applying(Apply.LINK, false), CommitPlan.withoutContent(a1, live, false, notAsked(), () -> null));
        assertEquals(new Applying(Apply.REFUSE_LINK, false),
                CommitPlan.withoutContent(a1, live, false, notAsked(), () -> "a link to /etc/shadow"));
        Entry chmod = new Entry(KEY, 2, "b", a1.vector().edit("b"), 0, H1, false, 0600, 10);
        assertEquals(new Applying(Apply.MODE, false), CommitPlan.withoutContent(a1, chmod, false, notAsked(), notAsked()));
        Entry sameElsewhere = edit(edit(null, "z", H1), "z", H1);
        assertEquals(Resolution.ADOPT, Resolution.of(edit(null, "b", H1), sameElsewhere));
        assertEquals(new Applying(Apply.ADOPT, false),
                CommitPlan.withoutContent(edit(null, "b", H1), sameElsewhere, false, notAsked(), notAsked()));
    }

    @Test
    void aParkedConfigIsInstalledOnceItValidatesAndRefusedOnlyWhenNothingElseIsAwaited() {
        List<String> problems = List.of("tandem.yaml:4: 'cert': no such file");
        assertEquals(CommitPlan.Parked.WAIT, CommitPlan.parked(problems, false), "the certificate may still come");
        assertEquals(CommitPlan.Parked.REFUSE, CommitPlan.parked(problems, true));
        assertEquals(CommitPlan.Parked.INSTALL, CommitPlan.parked(List.of(), false), "it came: installed at once");
        assertEquals(CommitPlan.Parked.INSTALL, CommitPlan.parked(List.of(), true));
    }
}

package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.cluster.mirror.internal.CommitPlan.KeepLocal;
import dev.tandem.cluster.mirror.internal.CommitPlan.Plan;
import dev.tandem.cluster.mirror.internal.CommitPlan.Step;
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
}

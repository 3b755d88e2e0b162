package dev.tandem.node.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signals before the node runs wait for it; after, they go straight to it. */
class QueuedSignalsTest {

    private final List<String> done = new ArrayList<>();
    private final QueuedSignals.Target node = new QueuedSignals.Target() {
        @Override
        public void reload() {
            done.add("reload");
        }

        @Override
        public void stop() {
            done.add("stop");
        }
    };

    @Test
    void aReloadDuringTheStartIsAppliedOnceItRuns() {
        QueuedSignals s = new QueuedSignals();
        s.reload();
        s.reload();
        assertEquals(List.of(), done);
        s.running(node);
        assertEquals(List.of("reload"), done, "queued reloads are one reload, of the config in force by then");
        s.reload();
        assertEquals(List.of("reload", "reload"), done);
    }

    @Test
    void aStopDuringTheStartStopsOnceItRunsAndTheReloadIsMoot() {
        QueuedSignals s = new QueuedSignals();
        s.reload();
        s.stop();
        s.running(node);
        assertEquals(List.of("stop"), done);
    }

    @Test
    void nothingQueuedNothingDone() {
        QueuedSignals s = new QueuedSignals();
        s.running(node);
        assertEquals(List.of(), done);
        s.stop();
        assertEquals(List.of("stop"), done);
    }
}

package dev.tandem.cluster.mirror.internal;

import java.nio.file.Path;
import java.util.List;

/** An engine's node that listens to nothing. */
final class NoEvents implements MirrorEngine.Events {

    static final NoEvents INSTANCE = new NoEvents();

    private NoEvents() {
    }

    @Override
    public void configChanged(Path file, String cause) {
    }

    @Override
    public void filesChanged(List<Path> files) {
    }

    @Override
    public void batchInPlace() {
    }
}

package dev.tandem.health;

import java.util.ArrayList;
import java.util.List;

/** Records, per server, every check outcome and transition in the order the server's checker saw them. */
final class EventRecorder implements HealthEvents {

    private record Event(String server, String what) {
    }

    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void checked(HealthTarget target, CheckResult result) {
        events.add(new Event(target.label(), result.outcome().label()));
    }

    @Override
    public synchronized void changed(HealthTarget target, ActiveStatus from, ActiveStatus to) {
        events.add(new Event(target.label(), "->" + to.state()));
    }

    /** What happened to {@code target}: outcome labels ({@code passed}, {@code refused}...) and {@code ->DOWN}... */
    synchronized List<String> of(HealthTarget target) {
        return events.stream().filter(e -> e.server().equals(target.label())).map(Event::what).toList();
    }

    /** Forgets what was recorded so far. */
    synchronized void clear() {
        events.clear();
    }
}

package dev.tandem.node.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The sections of {@code /status}, in the order they were added. Sections may be added and removed at any time. */
public final class StatusSections {

    private static final Logger log = LoggerFactory.getLogger(StatusSections.class);

    private final List<StatusSection> sections = new CopyOnWriteArrayList<>();

    /** Adds {@code section}, replacing one of the same name. */
    public void add(StatusSection section) {
        sections.removeIf(s -> s.name().equals(section.name()));
        sections.add(section);
    }

    public void remove(String name) {
        sections.removeIf(s -> s.name().equals(name));
    }

    /**
     * Every section rendered now. A section that throws is reported as {@code {"error": ...}} rather than
     * failing the whole document: one broken contributor must not hide the rest of the node's state.
     */
    public Map<String, Object> render() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (StatusSection s : sections) {
            try {
                out.put(s.name(), s.render());
            } catch (RuntimeException e) {
                log.warn("status section '{}' failed", s.name(), e);
                out.put(s.name(), Map.of("error", String.valueOf(e)));
            }
        }
        return out;
    }
}

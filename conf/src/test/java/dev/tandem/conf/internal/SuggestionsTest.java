package dev.tandem.conf.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

    private static final List<String> KEYS = List.of("hosts", "static", "upstream");

    @Test
    void distanceCountsATranspositionAsOneEdit() {
        assertEquals(1, Suggestions.distance("upsteram", "upstream"));
        assertEquals(1, Suggestions.distance("upsteam", "upstream"));
        assertEquals(1, Suggestions.distance("hsots", "hosts"));
        assertEquals(0, Suggestions.distance("", ""));
        assertEquals(3, Suggestions.distance("abc", ""));
    }

    @Test
    void nearestWithinTwoEditsOrByPrefix() {
        assertEquals(Optional.of("upstream"), Suggestions.nearest("upsteam", KEYS));
        assertEquals(Optional.of("hosts"), Suggestions.nearest("host", KEYS));
        assertEquals(Optional.of("static"), Suggestions.nearest("statics_dir", KEYS), "prefix");
        assertEquals(Optional.of("upstream"), Suggestions.nearest("ups", KEYS), "prefix");
        assertEquals(Optional.empty(), Suggestions.nearest("colour", KEYS));
        assertEquals(Optional.empty(), Suggestions.nearest("up", KEYS), "too short to guess from");
    }
}

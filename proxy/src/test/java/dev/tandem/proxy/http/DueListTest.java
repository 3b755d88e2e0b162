package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DueListTest {

    private final DueList list = new DueList();
    private final List<String> ran = new ArrayList<>();

    private DueList.Entry entry(String name) {
        return new DueList.Entry(() -> ran.add(name));
    }

    @Test
    void entriesFallDueEarliestFirstWhateverTheOrderTheyCameIn() {
        list.add(entry("c"), 30);
        list.add(entry("a"), 10);
        list.add(entry("d"), 40);
        list.add(entry("b"), 20);
        list.runDue(25);
        assertEquals(List.of("a", "b"), ran);
        assertEquals(2, list.size());
        assertEquals(30, list.head().due());
        list.runDue(40);
        assertEquals(List.of("a", "b", "c", "d"), ran);
        assertNull(list.head());
    }

    @Test
    void entriesDueTogetherKeepTheirOrder() {
        list.add(entry("first"), 10);
        list.add(entry("second"), 10);
        list.add(entry("third"), 10);
        list.runDue(10);
        assertEquals(List.of("first", "second", "third"), ran);
    }

    @Test
    void aRemovedEntryNeverFallsDue() {
        DueList.Entry a = entry("a");
        DueList.Entry b = entry("b");
        DueList.Entry c = entry("c");
        list.add(a, 10);
        list.add(b, 20);
        list.add(c, 30);
        b.unlink();
        assertFalse(b.listed());
        a.unlink();
        assertSame(c, list.head());
        b.unlink();
        list.runDue(100);
        assertEquals(List.of("c"), ran);
        assertEquals(0, list.size());
    }

    @Test
    void addingAgainMovesAnEntryFromOneListToTheOther() {
        DueList other = new DueList();
        DueList.Entry a = entry("a");
        list.add(a, 10);
        other.add(a, 50);
        assertEquals(0, list.size());
        assertTrue(a.listed());
        list.runDue(100);
        assertEquals(List.of(), ran);
        other.runDue(100);
        assertEquals(List.of("a"), ran);
    }

    @Test
    void anEntryAddedWhileRunningThatIsAlreadyDueRunsInTheSamePass() {
        DueList.Entry late = entry("late");
        list.add(new DueList.Entry(() -> {
            ran.add("early");
            list.add(late, 5);
        }), 1);
        list.runDue(10);
        assertEquals(List.of("early", "late"), ran);
    }

    @Test
    void dueTimesAreComparedAcrossTheClockWrapping() {
        list.add(entry("after"), Long.MIN_VALUE + 5);
        list.add(entry("before"), Long.MAX_VALUE - 5);
        list.runDue(Long.MAX_VALUE);
        assertEquals(List.of("before"), ran);
    }
}

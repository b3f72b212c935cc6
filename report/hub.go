package report

import (
	"encoding/json"
	"sync"
)

// Event is one server-sent event: its number (the SSE id, from 1), its
// type and its JSON data.
type Event struct {
	ID   int
	Type string
	Data json.RawMessage
}

// DefaultMaxEvents is how many events a Hub keeps before it thins the
// oldest progress events.
const DefaultMaxEvents = 4096

// Hub is the log of a live page's events. Publish appends and wakes the
// streams; each stream reads the log from its own position, so a slow or
// stuck browser costs the publisher nothing and a reconnecting one is sent
// what it missed (Since). The log is bounded: past Max events, every other
// progress event of the older half is dropped (curves keep their shape;
// epochs, snapshots and the final state are never dropped).
type Hub struct {
	Max int // 0: DefaultMaxEvents

	mu     sync.Mutex
	events []Event
	last   int
	wake   chan struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{wake: make(chan struct{})} }

// Publish appends an event of type typ with v as its JSON data. It never
// blocks on a reader. A value that does not marshal is dropped.
func (h *Hub) Publish(typ string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last++
	h.events = append(h.events, Event{ID: h.last, Type: typ, Data: b})
	max := h.Max
	if max <= 0 {
		max = DefaultMaxEvents
	}
	if len(h.events) > max {
		h.thin()
	}
	close(h.wake)
	h.wake = make(chan struct{})
}

// thin drops every other progress event of the older half of the log.
func (h *Hub) thin() {
	half := len(h.events) / 2
	kept := h.events[:0:0]
	odd := false
	for i, e := range h.events {
		if i < half && e.Type == "progress" {
			odd = !odd
			if odd {
				continue
			}
		}
		kept = append(kept, e)
	}
	h.events = kept
}

// Since returns the events after id (all for id 0) and a channel closed at
// the next Publish.
func (h *Hub) Since(id int) ([]Event, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Events are in id order: find the first after id.
	lo, hi := 0, len(h.events)
	for lo < hi {
		m := (lo + hi) / 2
		if h.events[m].ID <= id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return append([]Event(nil), h.events[lo:]...), h.wake
}

// Len is the number of events kept.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

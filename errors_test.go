package shmcast_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/shmcast/shmcast"
)

func TestIsTemporary(t *testing.T) {
	base := errors.New("disk full")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"marked", shmcast.Temporary(base), true},
		{"wrapped marked", fmt.Errorf("record: write: %w", shmcast.Temporary(base)), true},
		{"joined", errors.Join(io.EOF, shmcast.Temporary(base)), true},
	}
	for _, tt := range tests {
		if got := shmcast.IsTemporary(tt.err); got != tt.want {
			t.Errorf("%s: IsTemporary(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	if shmcast.Temporary(nil) != nil {
		t.Error("Temporary(nil) != nil")
	}
	if err := shmcast.Temporary(base); !errors.Is(err, base) || err.Error() != base.Error() {
		t.Errorf("Temporary(%v) = %v, does not unwrap to it", base, err)
	}
}

func TestEscalator(t *testing.T) {
	tmp := shmcast.Temporary(errors.New("again"))
	fatal := errors.New("corrupt")
	tests := []struct {
		name  string
		limit int
		seq   []error
		want  []bool
	}{
		{"fatal at once", 0, []error{fatal}, []bool{true}},
		{"nil is fine", 0, []error{nil, nil}, []bool{false, false}},
		{"three of three", 3, []error{tmp, tmp, tmp}, []bool{false, false, true}},
		{"success resets", 3, []error{tmp, tmp, nil, tmp, tmp, tmp}, []bool{false, false, false, false, false, true}},
		{"default ten", 0, []error{tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp},
			[]bool{false, false, false, false, false, false, false, false, false, true}},
	}
	for _, tt := range tests {
		e := shmcast.Escalator{Limit: tt.limit}
		for i, err := range tt.seq {
			if got := e.Fatal(err); got != tt.want[i] {
				t.Errorf("%s: step %d: Fatal(%v) = %v, want %v (run %d)", tt.name, i, err, got, tt.want[i], e.Consecutive())
			}
		}
	}
}

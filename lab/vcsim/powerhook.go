package main

import (
	"context"
	"fmt"
	"log"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// hookTimeout bounds one run of the power hook.
var hookTimeout = 60 * time.Second

// powerHook runs a command for every power change of the VMs that are lab
// nodes, as `<command> <vm-name> poweredOn|poweredOff|suspended`, so that a
// node's network namespace follows its VM whatever changed the power state
// (the control API, PowerOffVM_Task, ResetVM_Task, ShutdownGuest...).
//
// UpdateObject runs inside the registry's lock of the VM: it only queues the
// change. One goroutine per VM drains its queue, so a VM's hooks run in the
// order of its changes and never two at once, and different VMs don't wait
// for each other.
type powerHook struct {
	command string
	vms     map[string]bool

	mu     sync.Mutex
	queues map[string]*hookQueue
}

type hookQueue struct {
	pending []string
	running bool
}

func newPowerHook(command, vms string) *powerHook {
	h := &powerHook{command: command, vms: map[string]bool{}, queues: map[string]*hookQueue{}}
	for _, n := range strings.Split(vms, ",") {
		if n = strings.TrimSpace(n); n != "" {
			h.vms[n] = true
		}
	}
	return h
}

func (h *powerHook) names() []string {
	out := []string{}
	for n := range h.vms {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (h *powerHook) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VigilPowerHook", Value: "power-hook"}
}

func (h *powerHook) PutObject(mo.Reference)                    {}
func (h *powerHook) RemoveObject(types.ManagedObjectReference) {}

func (h *powerHook) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	vm, ok := obj.(*mo.VirtualMachine)
	if !ok || !h.vms[vm.Name] {
		return
	}
	for _, c := range changes {
		if c.Name == "runtime.powerState" {
			h.enqueue(vm.Name, fmt.Sprint(c.Val))
		}
	}
}

func (h *powerHook) enqueue(name, state string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.queues[name]
	if q == nil {
		q = &hookQueue{}
		h.queues[name] = q
	}
	q.pending = append(q.pending, state)
	if !q.running {
		q.running = true
		go h.drain(name, q)
	}
}

func (h *powerHook) drain(name string, q *hookQueue) {
	for {
		h.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			h.mu.Unlock()
			return
		}
		state := q.pending[0]
		q.pending = q.pending[1:]
		h.mu.Unlock()
		h.run(name, state)
	}
}

// run calls the hook through the shell, so the command may carry quoted
// arguments; the VM's name and state are passed as separate arguments.
func (h *powerHook) run(name, state string) {
	ctx, cancel := context.WithTimeout(context.Background(), hookTimeout)
	defer cancel()
	begin := time.Now()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", h.command+` "$@"`, "power-hook", name, state)
	out, err := cmd.CombinedOutput()
	took := time.Since(begin).Round(time.Millisecond)
	text := strings.TrimSpace(string(out))
	if err != nil {
		log.Printf("power hook %s %s failed after %s: %v: %s", name, state, took, err, text)
		return
	}
	log.Printf("power hook %s %s done in %s %s", name, state, took, text)
}

package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type inventory struct {
	hosts []string
	named []string
}

// buildInventory names the model's datacenter, cluster and hosts and creates
// the VMs through the SDK, as an administrator would, so every object is a
// regular simulator object that property collectors report.
func buildInventory(ctx context.Context, u *url.URL, cfg config) (*inventory, error) {
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Logout(ctx) }()
	finder := find.NewFinder(c.Client, false)

	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return nil, err
	}
	if err := waitTask(dc.Common.Rename(ctx, cfg.datacenter)); err != nil {
		return nil, fmt.Errorf("rename datacenter: %w", err)
	}
	finder.SetDatacenter(dc)
	cluster, err := finder.DefaultClusterComputeResource(ctx)
	if err != nil {
		return nil, err
	}
	if err := waitTask(cluster.Common.Rename(ctx, cfg.cluster)); err != nil {
		return nil, fmt.Errorf("rename cluster: %w", err)
	}
	hostObjs, err := finder.HostSystemList(ctx, "*")
	if err != nil {
		return nil, err
	}
	inv := &inventory{}
	for i, h := range hostObjs {
		name := fmt.Sprintf("esxi-%02d.lab", i+1)
		renameHost(h.Reference(), name)
		inv.hosts = append(inv.hosts, name)
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return nil, err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := finder.DefaultDatastore(ctx)
	if err != nil {
		return nil, err
	}

	var names []string
	for _, n := range strings.Split(cfg.vms, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
			inv.named = append(inv.named, n)
		}
	}
	for i := 0; i < cfg.fillers; i++ {
		names = append(names, fmt.Sprintf("filler-%05d", i+1))
	}

	// A bounded pool of workers: 5,000 VMs take seconds, not minutes.
	jobs := make(chan int)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				host := hostObjs[i%len(hostObjs)]
				if err := createVM(ctx, folders.VmFolder, pool, host, ds.Name(), names[i]); err != nil {
					errs <- fmt.Errorf("create %s: %w", names[i], err)
				}
			}
		}()
	}
	for i := range names {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return inv, nil
}

func createVM(ctx context.Context, folder *object.Folder, pool *object.ResourcePool, host *object.HostSystem, ds, name string) error {
	spec := types.VirtualMachineConfigSpec{
		Name:     name,
		GuestId:  string(types.VirtualMachineGuestOsIdentifierOtherLinux64Guest),
		NumCPUs:  1,
		MemoryMB: 512,
		Files:    &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s] %s/%s.vmx", ds, name, name)},
	}
	task, err := folder.CreateVM(ctx, spec, pool, host)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return err
	}
	vm := object.NewVirtualMachine(folder.Client(), info.Result.(types.ManagedObjectReference))
	return waitTask(vm.PowerOn(ctx))
}

func waitTask(task *object.Task, err error) error {
	if err != nil {
		return err
	}
	return task.Wait(context.Background())
}

func renameHost(ref types.ManagedObjectReference, name string) {
	obj := simulator.Map.Get(ref)
	simulator.Map.WithLock(obj, func() {
		simulator.Map.Update(obj, []types.PropertyChange{
			{Name: "name", Val: name},
			{Name: "summary.config.name", Val: name},
		})
	})
}

// vmsNamed returns the simulator's VMs with this name (names need not be unique).
func vmsNamed(name string) []*simulator.VirtualMachine {
	var out []*simulator.VirtualMachine
	for _, e := range simulator.Map.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok && vm.Name == name {
			out = append(out, vm)
		}
	}
	return out
}

func hostNamed(name string) *simulator.HostSystem {
	for _, e := range simulator.Map.All("HostSystem") {
		if h, ok := e.(*simulator.HostSystem); ok && h.Name == name {
			return h
		}
	}
	return nil
}
